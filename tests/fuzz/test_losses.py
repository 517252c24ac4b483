"""Fuzz prefrank.losses: every functional loss and module over bad tensors (NaN/inf/negative/zero-sum
weights, empty batches, wrong shapes and dtypes) and bad hyper-parameters. With finite log-probs, a
loss is finite or a PrefrankError; never NaN/inf in silence, never another exception."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest
from fuzz.harness import FUZZ, check, describe
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
import prefrank.losses as L  # noqa: E402
from prefrank.losses import functional as LF  # noqa: E402

KWAY = {"infonca_loss", "nca_loss", "plackett_luce_dpo_loss"}
SPECIAL = {
    "token_counts",
    "token_logps",
    "sequence_logps",
    "sequence_logps_from_hidden",
    "chunked_token_logps",
    "fused_linear_preference_loss",
    "pair_label_probabilities",
    "estimate_flip_rate",
    "implicit_rewards",
    "lcpo_posteriors",
}
PAIR = sorted(n for n in L.__all__ if n.endswith("_loss") and n not in KWAY | SPECIAL)
MODULES = sorted(n for n in L.__all__ if n[0].isupper())
LOSS_COVERED = set(PAIR) | KWAY | SPECIAL | set(MODULES)

BAD_WEIGHTS = [math.nan, math.inf, -1.0, 0.0, 1e38, 1e-45]
BAD_FLOATS = [math.nan, math.inf, -math.inf, -1.0, 0.0, "x", None, True]


def _tensor_for(name: str, n: int, k: int, dtype: Any) -> Any:
    if name.endswith("lengths"):
        return torch.full((n,), 3.0, dtype=dtype)
    if name == "rewards":
        return torch.arange(n * k, dtype=dtype).reshape(n, k) % 3
    if name in ("policy_logps", "ref_logps"):
        return -torch.rand(n, k, dtype=dtype, generator=torch.Generator().manual_seed(n * 31 + k)) * 5 - 0.01
    return -torch.rand(n, dtype=dtype, generator=torch.Generator().manual_seed(n + len(name))) * 5 - 0.01


@st.composite
def loss_case(draw: Any, fn: Any, kway: bool) -> tuple[str, list[Any], dict[str, Any]]:
    sig = inspect.signature(fn)
    n = draw(st.integers(0, 4))
    k = draw(st.integers(1, 3)) if kway else 1
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    args: list[Any] = []
    kw: dict[str, Any] = {}
    for p in sig.parameters.values():
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty:
            args.append(_tensor_for(p.name, n, k, dtype))
        elif p.kind is p.POSITIONAL_OR_KEYWORD and p.name.startswith("ref_"):
            args.append(_tensor_for(p.name, n, k, dtype) if draw(st.booleans()) else None)
        elif p.kind is p.KEYWORD_ONLY and p.default is p.empty:
            kw[p.name] = _tensor_for(p.name, n, k, dtype)
    desc = f"n={n} k={k} {dtype}"
    what = draw(st.sampled_from(["clean", "weights", "param", "shape", "dtype", "non-tensor", "reduction"]))
    names = [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY and isinstance(p.default, float)]
    if what == "weights" and "weights" in sig.parameters:
        w = draw(st.sampled_from(BAD_WEIGHTS))
        uniform = draw(st.booleans())
        weights = torch.full((n,), w, dtype=dtype) if uniform else torch.ones(n, dtype=dtype)
        if n and not uniform:
            weights[0] = w
        kw["weights"] = weights
        desc += f" weights {'all' if uniform else 'first'}={w}"
    elif what == "param" and names:
        name = draw(st.sampled_from(names))
        kw[name] = draw(st.sampled_from(BAD_FLOATS))
        desc += f" {name}={describe(kw[name])}"
    elif what == "shape" and args:
        args[0] = args[0].reshape(-1, 1, 1) if args[0].numel() else torch.zeros(2, 2, 2, dtype=dtype)
        desc += " first tensor 3-D"
    elif what == "dtype" and args:
        args[0] = args[0].to(torch.int64)
        desc += " first tensor int64"
    elif what == "non-tensor" and args:
        args[0] = args[0].tolist()
        desc += " first argument a list"
    elif what == "reduction" and "reduction" in sig.parameters:
        kw["reduction"] = draw(st.sampled_from(["bogus", None, "none", "sum"]))
        desc += f" reduction={kw['reduction']!r}"
    return desc, args, kw


def _finite(t: Any) -> None:
    assert bool(torch.isfinite(t).all()), f"non-finite loss {t}"


@FUZZ
@given(name=st.sampled_from(PAIR + sorted(KWAY)), data=st.data())
def test_functional_losses(name: str, data: Any) -> None:
    fn = getattr(LF, name)
    desc, args, kw = data.draw(loss_case(fn, name in KWAY), label="case")
    check(f"{name}({desc})", lambda: fn(*args, **kw), function=f"losses.{name}", reference=_finite, checked_by="finite")


@FUZZ
@given(name=st.sampled_from(MODULES), data=st.data())
def test_loss_modules(name: str, data: Any) -> None:
    cls = getattr(L, name)
    fn = cls._fn
    desc, args, kw = data.draw(loss_case(fn, cls._fn.__name__ in KWAY), label="case")
    hparams = {k: v for k, v in kw.items() if k in cls._hparams}
    per_call = {k: v for k, v in kw.items() if k not in cls._hparams and k != "reduction"}
    reduction = kw.get("reduction", "mean")
    check(
        f"{name}({desc})",
        lambda: cls(reduction=reduction, **hparams)(*args, **per_call),
        function=f"losses.{name}",
        reference=_finite,
        checked_by="finite",
    )


BAD_TENSORS = [
    "clean",
    "nan logits",
    "empty",
    "1-D logits",
    "int logits",
    "labels out of range",
    "labels float",
    "list",
]


def _flat(x: Any) -> Any:
    """A tensor flattened to 1-D; a list (the "list" case) as it is."""
    return x.reshape(-1) if isinstance(x, torch.Tensor) else x


@FUZZ
@given(
    name=st.sampled_from(
        ["token_counts", "token_logps", "sequence_logps", "sequence_logps_from_hidden", "chunked_token_logps"]
    ),
    what=st.sampled_from(BAD_TENSORS),
    shift=st.booleans(),
    chunk=st.sampled_from([4096, 1, 0, -1]),
)
def test_token_logps(name: str, what: str, shift: bool, chunk: int) -> None:
    b, t, v, h = 2, 3, 5, 4
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(b, t, v, generator=g)
    labels = torch.tensor([[1, 2, -100], [0, 4, 3]])
    hidden, weight = torch.randn(b, t, h, generator=g), torch.randn(v, h, generator=g)
    if what == "nan logits":
        logits[0, 0, 0] = math.nan
        hidden[0, 0, 0] = math.nan
    elif what == "empty":
        logits, labels, hidden = logits[:0], labels[:0], hidden[:0]
    elif what == "1-D logits":
        logits, hidden = logits.reshape(-1), hidden.reshape(-1)
    elif what == "int logits":
        logits, hidden = logits.to(torch.int64), hidden.to(torch.int64)
    elif what == "labels out of range":
        labels = labels.clone()
        labels[0, 0] = v + 7
    elif what == "labels float":
        labels = labels.to(torch.float32)
    elif what == "list":
        logits, labels = logits.tolist(), labels.tolist()
    calls = {
        "token_counts": lambda: L.token_counts(labels, shift=shift),
        "token_logps": lambda: L.token_logps(logits, labels, shift=shift),
        "sequence_logps": lambda: L.sequence_logps(logits, labels, shift=shift),
        "sequence_logps_from_hidden": lambda: L.sequence_logps_from_hidden(
            hidden, weight, labels, shift=shift, chunk_rows=chunk
        ),
        "chunked_token_logps": lambda: L.chunked_token_logps(
            hidden.reshape(-1, h), weight, _flat(labels), chunk_vocab=chunk
        ),
    }
    check(
        f"{name}({what}, shift={shift}, chunk={chunk})",
        calls[name],
        function=f"losses.{name}",
        allow_nan=what == "nan logits",
    )


@FUZZ
@given(what=st.sampled_from(["clean", "nan hidden", "bad labels", "odd batch", "bad weights", "pairs_per_chunk"]))
def test_fused_linear_preference_loss(what: str) -> None:
    g = torch.Generator().manual_seed(1)
    hidden, weight = torch.randn(4, 3, 4, generator=g), torch.randn(5, 4, generator=g)
    labels = torch.tensor([[1, 2, 3]] * 4)
    kw: dict[str, Any] = {}
    if what == "nan hidden":
        hidden[0, 0, 0] = math.nan
    elif what == "bad labels":
        labels = labels * 100
    elif what == "odd batch":
        hidden, labels = hidden[:3], labels[:3]
    elif what == "bad weights":
        kw["weights"] = torch.tensor([math.nan, 1.0])
    elif what == "pairs_per_chunk":
        kw["pairs_per_chunk"] = 0
    check(
        f"fused_linear_preference_loss({what})",
        lambda: L.fused_linear_preference_loss(hidden, weight, labels, LF.dpo_loss, **kw),
        function="losses.fused_linear_preference_loss",
        allow_nan=what == "nan hidden",
    )


@FUZZ
@given(
    probs=st.lists(st.sampled_from([0.0, 0.3, 1.0, math.nan, math.inf, -0.5, 2.0, None]), max_size=5),
    method=st.sampled_from(["contradicted", "bogus", None]),
    chosen=st.lists(st.sampled_from(["m0", "m1", "zz", None, 3]), max_size=3),
)
def test_bridge(probs: list[Any], method: Any, chosen: list[Any]) -> None:
    import prefrank as pr

    arr = np.array(probs, dtype=object)
    check(
        f"estimate_flip_rate({probs}, method={method!r})",
        lambda: L.estimate_flip_rate(arr, method=method),
        function="losses.estimate_flip_rate",
    )
    ranking = pr.bradley_terry(a=["m0", "m1", "m0"], b=["m1", "m2", "m2"], outcome=["a", "a", "b"], alpha=0.1)
    rejected = list(reversed(chosen))
    check(
        f"pair_label_probabilities(chosen={chosen}, rejected={rejected})",
        lambda: L.pair_label_probabilities(ranking, chosen, rejected),
        function="losses.pair_label_probabilities",
    )
    t = torch.tensor([float(p) if isinstance(p, float) and math.isfinite(p) else -1.0 for p in probs])
    check(
        f"implicit_rewards/lcpo_posteriors({t.tolist()})",
        lambda: (L.implicit_rewards(t, beta=0.1), L.lcpo_posteriors(t, t.flip(0) if len(t) else t)),
        function="losses.lcpo_posteriors",
        reference=lambda r: (_finite(r[0]), _finite(r[1])),
        checked_by="finite",
    )
