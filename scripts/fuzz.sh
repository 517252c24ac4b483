#!/usr/bin/env bash
# Run the fuzz suite long: many fresh examples per test (PREFRANK_FUZZ=long, tests/fuzz/conftest.py).
#   bash scripts/fuzz.sh                      # every fuzz test, long profile
#   bash scripts/fuzz.sh -k comparisons       # extra pytest arguments pass through
# PREFRANK_FUZZ_TIMEOUT (s, default 10) bounds each sandboxed case; PREFRANK_FUZZ_MEMORY (bytes,
# default 4 GiB) caps the sandbox worker's address space.
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFRANK_FUZZ="${PREFRANK_FUZZ:-long}"
exec env PYTHONPATH="python${PYTHONPATH:+:$PYTHONPATH}" python3 -m pytest -q -p no:cacheprovider tests/fuzz "$@"
