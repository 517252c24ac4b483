#!/usr/bin/env bash
# Build the extension into python/prefrank/ for in-tree work without installing:
#   bash scripts/dev-build.sh && PYTHONPATH=python pytest
# (CI and users install with pip; this is only a fast loop for developers and worktrees.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --profile dev-opt -p prefrank-py
cp target/dev-opt/lib_core.so python/prefrank/_core.abi3.so
