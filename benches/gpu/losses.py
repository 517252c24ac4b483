"""DPO from hidden states: naive logits path vs prefrank's chunked and fused paths vs Liger-Kernel.

Methods: ``naive`` (``hidden @ W.T`` logits, then ``sequence_logps`` and ``dpo_loss``), ``chunked``
(``sequence_logps_from_hidden``: vocabulary-chunked forward, backward recomputes logit blocks; four matrix
products), ``fused`` (``fused_linear_preference_loss``: gradient computed in the forward one pair at a time,
three matrix products; gradient-free forward under ``no_grad``), ``liger`` (``LigerFusedLinearDPOLoss``).

Correctness is checked first (small shape, float32, on the chosen device): loss and gradients of the chunked
path must equal the naive path; Liger's loss (when importable) is compared and reported. Then, at the
benchmark shape, each method is timed (medians over ``--repeats`` after ``--warmup`` runs; CUDA events on GPU,
``perf_counter`` on CPU) for forward+backward and forward only, with the peak memory allocated above the
inputs (CUDA only).

Workload (issue 8, item 7): B pairs, chosen and rejected completions of T tokens (the first quarter of each is
prompt, ignored), hidden size H, vocabulary V, dtype bf16 on GPU; reference log-probs precomputed (constants).
Liger's ``LigerFusedLinearDPOLoss`` takes no precomputed reference log-probs, so it runs reference-free
(``use_ref_model=False``); the reference term is a constant shift that costs nothing in the other two paths.

Run on a GPU:   python benches/gpu/losses.py   (B=8, T=2048 and 4096, H=4096, V=128256, bf16)
Run on CPU:     PYTHONPATH=python python benches/gpu/losses.py --device cpu --small
Writes a markdown table to stdout (and ``--json PATH`` if given).
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import prefrank.losses as L
import torch

IGN = -100


def make_inputs(b: int, t: int, h: int, v: int, dtype: torch.dtype, device: str, seed: int = 0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    hidden = (torch.randn(2 * b, t, h, generator=g) * 1.0).to(dtype).to(device)
    weight = (torch.randn(v, h, generator=g) / h**0.5).to(dtype).to(device)
    labels = torch.randint(0, v, (2 * b, t), generator=g)
    labels[:, : t // 4] = IGN  # prompt
    labels[1, -t // 8 :] = IGN  # some padding
    labels = labels.to(device)
    ref = (-torch.rand(2 * b, generator=g) * 10 - t).to(device)  # precomputed reference log-probs
    return hidden, weight, labels, ref


def naive_loss(hidden, weight, labels, ref, beta=0.1):
    logits = hidden @ weight.T  # [2B, T, V] in the input dtype
    lp = L.sequence_logps(logits, labels)  # float32 upcast inside
    b = lp.shape[0] // 2
    return L.dpo_loss(lp[:b], lp[b:], ref[:b], ref[b:], beta=beta)


def chunked_loss(hidden, weight, labels, ref, beta=0.1, chunk_rows=4096, chunk_vocab=32768):
    lp = L.sequence_logps_from_hidden(hidden, weight, labels, chunk_rows=chunk_rows, chunk_vocab=chunk_vocab)
    b = lp.shape[0] // 2
    return L.dpo_loss(lp[:b], lp[b:], ref[:b], ref[b:], beta=beta)


def fused_loss(hidden, weight, labels, ref, beta=0.1, pairs_per_chunk=1, chunk_vocab=32768):
    b = hidden.shape[0] // 2
    return L.fused_linear_preference_loss(
        hidden,
        weight,
        labels,
        functools.partial(L.dpo_loss, beta=beta),
        ref_chosen_logps=ref[:b],
        ref_rejected_logps=ref[b:],
        pairs_per_chunk=pairs_per_chunk,
        chunk_vocab=chunk_vocab,
    )


def reference_free(fn):
    def run(hidden, weight, labels, ref, **kw):
        return fn(hidden, weight, labels, torch.zeros_like(ref), **kw)

    return run


def liger_loss_fn(beta: float = 0.1) -> Callable[..., Any] | None:
    try:
        from liger_kernel.chunked_loss import LigerFusedLinearDPOLoss  # type: ignore[import-not-found]
    except Exception:  # any import failure: not available
        return None
    params = inspect.signature(LigerFusedLinearDPOLoss.__init__).parameters
    kw: dict[str, Any] = {"beta": beta, "ignore_index": IGN}
    if "compute_nll_loss" in params:
        kw["compute_nll_loss"] = False
    if "use_ref_model" in params:
        kw["use_ref_model"] = False
    mod = LigerFusedLinearDPOLoss(**kw)

    def run(hidden, weight, labels, ref):
        out = mod(weight, hidden, labels)
        return out[0] if isinstance(out, tuple) else out

    return run


class Timer:
    def __init__(self, device: str) -> None:
        self.cuda = device.startswith("cuda")

    def time_ms(self, fn: Callable[[], Any], repeats: int, warmup: int) -> float:
        for _ in range(warmup):
            fn()
        if self.cuda:
            torch.cuda.synchronize()
        times = []
        for _ in range(repeats):
            if self.cuda:
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                torch.cuda.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)


def check_correctness(device: str) -> list[str]:
    """Small float32 check: chunked == naive (loss, d hidden, d weight); Liger reported if importable."""
    lines = []
    hidden, weight, labels, ref = make_inputs(2, 37, 24, 1001, torch.float32, device, seed=1)

    def run(fn):
        h = hidden.clone().requires_grad_(True)
        w = weight.clone().requires_grad_(True)
        loss = fn(h, w, labels, ref)
        loss.backward()
        return loss.detach(), h.grad, w.grad

    naive = run(naive_loss)
    chunk = run(lambda *a: chunked_loss(*a, chunk_rows=16, chunk_vocab=300))
    fused = run(lambda *a: fused_loss(*a, pairs_per_chunk=1))
    for label, got in (("chunked", chunk), ("fused", fused)):
        for name, a, b in zip(("loss", "d_hidden", "d_weight"), got, naive, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=f"{label} vs naive mismatch in {name}")
        lines.append(f"{label} == naive (float32): loss, d_hidden, d_weight within rtol 1e-4 / atol 1e-5")
    liger = liger_loss_fn()
    if liger is None:
        lines.append("Liger-Kernel not importable: skipped")
    else:
        try:
            lg = run(liger)
            nf = run(reference_free(naive_loss))
            diffs = [float((a.float() - b.float()).abs().max()) for a, b in zip(lg, nf, strict=True)]
            lines.append(
                "Liger vs naive reference-free DPO, max abs diff (loss, d_hidden, d_weight): "
                + ", ".join(f"{d:.2e}" for d in diffs)
            )
        except Exception as exc:  # report, keep benchmarking the others
            lines.append(f"Liger correctness run failed: {type(exc).__name__}: {exc}")
    return lines


def bench_one(fn, shape, dtype, device, repeats, warmup) -> dict[str, Any]:
    b, t, h, v = shape
    hidden, weight, labels, ref = make_inputs(b, t, h, v, dtype, device)
    hidden.requires_grad_(True)
    weight.requires_grad_(True)
    timer = Timer(device)
    cuda = device.startswith("cuda")

    def fwd_bwd():
        hidden.grad = None
        weight.grad = None
        fn(hidden, weight, labels, ref).backward()

    def fwd():
        with torch.no_grad():
            fn(hidden, weight, labels, ref)

    res: dict[str, Any] = {}
    try:
        if cuda:
            fwd_bwd()  # allocate .grad once so it counts as input-sized memory, not as the method's peak
            torch.cuda.synchronize()
            base = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            fwd_bwd()
            torch.cuda.synchronize()
            res["peak_gib"] = (torch.cuda.max_memory_allocated() - base) / 2**30
        res["fwd_bwd_ms"] = timer.time_ms(fwd_bwd, repeats, warmup)
        res["fwd_ms"] = timer.time_ms(fwd, repeats, warmup)
    except RuntimeError as exc:  # includes torch.cuda.OutOfMemoryError
        res["error"] = f"{type(exc).__name__}"
    finally:
        hidden.grad = None
        weight.grad = None
        if cuda:
            torch.cuda.empty_cache()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--small", action="store_true", help="small CPU-sized shape (B=2, T=256, H=256, V=8192)")
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--seq", type=int, nargs="+", default=[2048, 4096])
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--dtype", default=None, help="bfloat16 (GPU default) or float32 (CPU default)")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--methods", default="naive,chunked,fused,liger")
    ap.add_argument("--json", default=None)
    ap.add_argument("--chunk-rows", type=int, default=4096, help="chunked path: rows per logit block")
    ap.add_argument("--chunk-vocab", type=int, default=32768, help="chunked/fused: vocabulary block")
    ap.add_argument("--pairs-per-chunk", type=int, default=1, help="fused path: pairs whose logits are held")
    args = ap.parse_args(argv)
    if args.small:
        args.pairs, args.seq, args.hidden, args.vocab = 2, [256], 256, 8192
        args.repeats, args.warmup = min(args.repeats, 5), min(args.warmup, 1)
    dtype = getattr(torch, args.dtype) if args.dtype else (torch.bfloat16 if args.device != "cpu" else torch.float32)
    dev_name = torch.cuda.get_device_name() if args.device.startswith("cuda") else platform.processor() or "cpu"

    print(f"# DPO from hidden states: device {dev_name} ({args.device}), torch {torch.__version__}, {dtype}")
    print()
    for line in check_correctness(args.device):
        print(f"- {line}")
    print()
    methods: dict[str, Callable[..., Any]] = {
        "naive": naive_loss,
        "chunked": functools.partial(chunked_loss, chunk_rows=args.chunk_rows, chunk_vocab=args.chunk_vocab),
        "fused": functools.partial(fused_loss, pairs_per_chunk=args.pairs_per_chunk, chunk_vocab=args.chunk_vocab),
    }
    liger = liger_loss_fn()
    if liger is not None:
        methods["liger"] = liger
    wanted = [m for m in args.methods.split(",") if m in methods]
    rows = []
    print("| B | T | H | V | method | fwd+bwd ms | fwd ms | peak GiB above inputs |")
    print("|---|---|---|---|---|---|---|---|")
    for t in args.seq:
        shape = (args.pairs, t, args.hidden, args.vocab)
        for m in wanted:
            r = bench_one(methods[m], shape, dtype, args.device, args.repeats, args.warmup)
            rows.append({"B": args.pairs, "T": t, "H": args.hidden, "V": args.vocab, "method": m, **r})
            peak = f"{r['peak_gib']:.2f}" if "peak_gib" in r else "n/a"
            if "error" in r:
                print(f"| {args.pairs} | {t} | {args.hidden} | {args.vocab} | {m} | {r['error']} | | {peak} |")
            else:
                print(
                    f"| {args.pairs} | {t} | {args.hidden} | {args.vocab} | {m} | {r['fwd_bwd_ms']:.1f} "
                    f"| {r['fwd_ms']:.1f} | {peak} |"
                )
            sys.stdout.flush()
    if "liger" not in methods:
        print("\nLiger-Kernel not installed: its rows are missing (pip install liger-kernel on the GPU machine).")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"device": dev_name, "dtype": str(dtype), "torch": torch.__version__, "rows": rows}, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
