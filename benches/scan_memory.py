"""Peak resident memory of ``ComparisonStats.scan`` with a distinct prompt (group) per row (issue 16 item 7).

    python benches/scan_memory.py --rows 16000000 --out /tmp/scan_memory     # the issue's size
    python benches/scan_memory.py --rows 1000000 --out /tmp/scan_memory      # a quick look

Writes ``--rows`` rows of Parquet (files of 2,000,000 rows; 30 models, an integer prompt id that is
distinct per row, so every row is a cell of its own), then scans them in a fresh process and
prints one JSON line: rows, cells, peak RSS (ru_maxrss), the RSS of the interpreter with prefrank
imported before the scan, and the bytes per cell above that baseline. The budget of docs/scale.md
is about 64 bytes per distinct cell kept.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

MODELS = 30


def generate(rows: int, out: Path, per_file: int = 2_000_000, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = np.array([f"model-{i:02d}" for i in range(MODELS)], dtype=object)
    for k, start in enumerate(range(0, rows, per_file)):
        n = min(per_file, rows - start)
        a = rng.integers(0, MODELS, n)
        b = (a + rng.integers(1, MODELS, n)) % MODELS
        table = pa.table(
            {
                "model_a": pa.array(names[a]),
                "model_b": pa.array(names[b]),
                "winner": pa.array(np.array(["model_a", "model_b", "tie"], dtype=object)[rng.integers(0, 3, n)]),
                "prompt": pa.array(np.arange(start, start + n, dtype=np.int64)),
            }
        )
        pq.write_table(table, out / f"part-{k:04d}.parquet")


def scan(path: Path, batch_rows: int | None) -> dict[str, float]:
    import prefrank as pr

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    cols = dict(a="model_a", b="model_b", outcome="winner", group="prompt")
    stats = pr.ComparisonStats.scan(path, batch_rows=batch_rows, **cols)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "rows": stats.n_rows,
        "cells": stats.n_cells,
        "peak_rss_bytes": peak,
        "baseline_rss_bytes": base,
        "bytes_per_cell": (peak - base) / max(stats.n_cells, 1),
        "cells_nbytes": stats.nbytes(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=16_000_000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/scan_memory"))
    ap.add_argument("--batch-rows", type=int, default=None)
    ap.add_argument("--scan-only", action="store_true", help="scan --out in this process (no generation)")
    args = ap.parse_args()
    if args.scan_only:
        print(json.dumps(scan(args.out, args.batch_rows)))
        return
    generate(args.rows, args.out)
    cmd = [sys.executable, __file__, "--scan-only", "--out", str(args.out)]
    if args.batch_rows:
        cmd += ["--batch-rows", str(args.batch_rows)]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
