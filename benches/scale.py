"""Scale-out benchmark: leaderboard plus audit over judgments in Parquet on disk.

    python benches/scale.py generate --rows 100000000 --out /tmp/judgments   # write the data set
    python benches/scale.py run --path /tmp/judgments --driver stream       # one process, batches
    python benches/scale.py run --path /tmp/judgments --driver dask         # two-worker LocalCluster
    python benches/scale.py all --rows 100000000 --out /tmp/judgments       # all three, writes results/scale.md

The data: ``--prompts`` prompts (groups), each comparing 5 of 30 models on all 10 pairs in both
presentation orders, by 2 judges, with repeated verdicts (the rows are spread evenly over the
(prompt, judge, pair, order) cells); verdicts follow a Bradley-Terry model with ties and a
first-position bias. Columns: model_a, model_b, winner (model_a / model_b / tie), prompt (int),
judge, first ("a" / "b"). One run = one pass over the files that accumulates pair counts and
verdict cells (:class:`prefrank.ComparisonStats`), then a Bradley-Terry fit with 100 bootstrap
rounds and the audit (transitivity census with 100 bootstrap rounds, tournament, position bias).
Peak resident memory is the process's (stream) or the largest worker's plus the client's (dask)
maximum RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODELS = 30
PER_PROMPT = 5
JUDGES = ("judge-a", "judge-b")
COLS = dict(a="model_a", b="model_b", outcome="winner", group="prompt", judge="judge", position="first")


def generate(rows: int, out: Path, prompts: int, rows_per_file: int = 5_000_000, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, MODELS)
    names = pa.array([f"model-{i:02d}" for i in range(MODELS)])
    # Each prompt's 5 models.
    members = np.argsort(rng.random((prompts, MODELS)), axis=1)[:, :PER_PROMPT]
    iu = np.array([(i, j) for i in range(PER_PROMPT) for j in range(i + 1, PER_PROMPT)])
    n_cells = prompts * len(JUDGES) * len(iu) * 2
    winners = pa.array(["model_a", "model_b", "tie"])
    firsts = pa.array(["a", "b"])
    judges = pa.array(list(JUDGES))
    done, k = 0, 0
    while done < rows:
        n = min(rows_per_file, rows - done)
        cell = (np.arange(done, done + n) % n_cells).astype(np.int64)
        order = cell % 2
        pair = (cell // 2) % len(iu)
        judge = (cell // (2 * len(iu))) % len(JUDGES)
        prompt = cell // (2 * len(iu) * len(JUDGES))
        a = members[prompt, iu[pair, 0]]
        b = members[prompt, iu[pair, 1]]
        d = strength[a] - strength[b] + np.where(order == 0, 0.3, -0.3)  # a shown first when order 0
        p_tie = 0.15
        u = rng.random(n)
        pa_win = (1 - p_tie) / (1 + np.exp(-d))
        w = np.where(u < pa_win, 0, np.where(u < pa_win + p_tie, 2, 1)).astype(np.int8)
        table = pa.table(
            {
                "model_a": pa.DictionaryArray.from_arrays(pa.array(a.astype(np.int32)), names),
                "model_b": pa.DictionaryArray.from_arrays(pa.array(b.astype(np.int32)), names),
                "winner": pa.DictionaryArray.from_arrays(pa.array(w), winners),
                "prompt": pa.array(prompt),
                "judge": pa.DictionaryArray.from_arrays(pa.array(judge.astype(np.int8)), judges),
                "first": pa.DictionaryArray.from_arrays(pa.array(order.astype(np.int8)), firsts),
            }
        )
        pq.write_table(table, out / f"part-{k:04d}.parquet", row_group_size=1_000_000)
        done += n
        k += 1
        print(f"wrote {done:,} rows", file=sys.stderr)


def _finish(stats: object) -> dict[str, object]:
    import prefrank as pr

    t0 = time.perf_counter()
    board = pr.bradley_terry(stats, bootstrap=100, seed=0, progress=False)
    t_bt = time.perf_counter() - t0
    t0 = time.perf_counter()
    aud = pr.audit(stats, bootstrap=100, progress=False)
    t_audit = time.perf_counter() - t0
    assert aud.transitivity is not None and aud.position_bias is not None
    return {
        "fit_s": t_bt,
        "audit_s": t_audit,
        "top": str(board.items[int(np.argmax(board.scores))]),
        "triples": aud.transitivity.counts["triples"],
        "non_transitive": aud.transitivity.counts["non_transitive"],
        "first_win_share": aud.position_bias.first_win_share,
        "swap_consistency": aud.position_bias.swap_consistency,
    }


def run(path: Path, driver: str, batch_rows: int) -> dict[str, object]:
    from prefrank.stats import accumulate_comparisons

    t0 = time.perf_counter()
    extra: dict[str, object] = {}
    if driver == "stream":
        stats = accumulate_comparisons(path, batch_rows=batch_rows, **COLS)
    else:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
        from prefrank import distributed

        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", memory_limit="4GiB"
            ) as cluster,
            Client(cluster) as client,
        ):
            t0 = time.perf_counter()
            ddf = dd.read_parquet(str(path), split_row_groups=True)
            stats = distributed.comparison_stats(ddf, **COLS)
            worker_rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
            extra["worker_peak_rss_bytes"] = max(worker_rss.values())
            extra["partitions"] = ddf.npartitions
    t_pass = time.perf_counter() - t0
    out = {
        "driver": driver,
        "rows": stats.n_rows,
        "cells": stats.n_cells,
        "cells_bytes": stats.nbytes(),
        "pass_s": t_pass,
        **extra,
    }
    out.update(_finish(stats))
    out["total_s"] = time.perf_counter() - t0
    out["rows_per_s"] = stats.n_rows / out["total_s"]
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def _gib(x: float) -> str:
    return f"{x / 2**30:.2f} GiB"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["generate", "run", "all"])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--prompts", type=int, default=100_000)
    ap.add_argument("--out", "--path", dest="path", type=Path, default=Path("/tmp/prefrank-judgments"))
    ap.add_argument("--driver", choices=["stream", "dask"], default="stream")
    ap.add_argument("--batch-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per driver (medians are reported)")
    args = ap.parse_args()
    if args.cmd == "generate":
        generate(args.rows, args.path, args.prompts)
        return
    if args.cmd == "run":
        print(json.dumps(run(args.path, args.driver, args.batch_rows)))
        return
    if not args.path.exists():
        t0 = time.perf_counter()
        generate(args.rows, args.path, args.prompts)
        print(f"generated in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    res = {}
    for driver in ("stream", "dask"):
        cmd = [
            sys.executable,
            __file__,
            "run",
            "--path",
            str(args.path),
            "--driver",
            driver,
            "--batch-rows",
            str(args.batch_rows),
        ]
        runs = []
        for _ in range(args.repeat):
            proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(driver, runs[-1], file=sys.stderr)
        # The median run by wall time; peak memory is the largest seen.
        runs.sort(key=lambda r: r["total_s"])
        med = dict(runs[len(runs) // 2])
        med["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in runs)
        if "worker_peak_rss_bytes" in med:
            med["worker_peak_rss_bytes"] = max(r["worker_peak_rss_bytes"] for r in runs)
        med["all_total_s"] = [round(r["total_s"], 1) for r in runs]
        res[driver] = med
    from importlib.metadata import version

    s, d = res["stream"], res["dask"]
    disk = sum(f.stat().st_size for f in args.path.glob("*.parquet"))
    lines = [
        "# Scale-out: leaderboard plus audit over Parquet on disk",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; date "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; prefrank {version('prefrank')}, "
        f"pyarrow {version('pyarrow')}, dask {version('dask')}, distributed {version('distributed')}.",
        f"Command: `python benches/scale.py all --rows {args.rows} --prompts {args.prompts} --out {args.path}` "
        f"(data: {args.rows:,} judgments, {args.prompts:,} prompts x 2 judges x 10 pairs x 2 orders = "
        f"{s['cells']:,} verdict cells, {disk / 2**20:,.0f} MiB of Parquet in files of 5M rows).",
        "One pass accumulates pair counts and verdict cells; then Bradley-Terry with 100 bootstrap rounds and the "
        "audit (census with 100 bootstrap rounds over prompts, tournament, position bias). "
        f"Each driver ran {args.repeat} times, one after the other on the idle machine: the median run by wall "
        "time is shown (all wall times in brackets), peak memory is the largest of the runs. Dask times exclude "
        "starting the cluster.",
        "",
        "| driver | wall time | rows/s | one pass | fit | audit | peak RSS | merged state |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in (
        (f"one process, batches of {args.batch_rows:,} rows", s),
        ("Dask LocalCluster, 2 workers x 1 thread", d),
    ):
        rss = _gib(r["peak_rss_bytes"])
        if "worker_peak_rss_bytes" in r:
            rss = f"client {rss}, largest worker {_gib(r['worker_peak_rss_bytes'])}"
        lines.append(
            f"| {name} | {r['total_s']:.1f} s {r['all_total_s']} | {r['rows_per_s'] / 1e6:.2f} M | "
            f"{r['pass_s']:.1f} s | "
            f"{r['fit_s']:.2f} s | {r['audit_s']:.1f} s | {rss} | {_gib(r['cells_bytes'])} cells |"
        )
    ratio = d["total_s"] / s["total_s"]  # medians of each driver
    lines += [
        "",
        f"Dask / one process: {ratio:.2f}x (target <= 1.5x: {'met' if ratio <= 1.5 else '**missed**'}). "
        f"Peak memory of the one-process run: {_gib(s['peak_rss_bytes'])} (target <= 2 GB: "
        f"{'met' if s['peak_rss_bytes'] <= 2e9 else '**missed**'}). Both runs found the same results: "
        f"top item {s['top']} / {d['top']}, non-transitive triples {s['non_transitive']:,} / {d['non_transitive']:,}, "
        f"first-position win share {s['first_win_share']:.4f} / {d['first_win_share']:.4f}.",
        "",
    ]
    (HERE / "results" / "scale.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
