"""Preference losses: values against independent float64 numpy implementations, identities, gradcheck,
float32 stability at extreme margins, per-pair weights, modules and errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import prefrank.losses as L  # noqa: E402
from prefrank.exceptions import PrefrankError  # noqa: E402

# ------------------------------------------------------------------------------------------------
# Independent float64 references (plain numpy, textbook formulas, no log-sum-exp tricks)
# ------------------------------------------------------------------------------------------------


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def logsig(x):
    return np.log(sig(x))


def ref_dpo(pc, pr, rc, rr, beta=0.1):
    d = (pc - rc) - (pr - rr)
    return -logsig(beta * d)


def ref_cdpo(pc, pr, rc, rr, beta=0.1, label_smoothing=0.1):
    d = beta * ((pc - rc) - (pr - rr))
    return -(1 - label_smoothing) * logsig(d) - label_smoothing * logsig(-d)


def ref_rdpo(pc, pr, rc, rr, beta=0.1, epsilon=0.1):
    d = beta * ((pc - rc) - (pr - rr))
    ell = lambda x: -np.log(sig(x))  # noqa: E731
    return ((1 - epsilon) * ell(d) - epsilon * ell(-d)) / (1 - 2 * epsilon)


def ref_ipo(pc, pr, rc, rr, beta=0.1, chosen_lengths=None, rejected_lengths=None):
    c, r = pc - rc, pr - rr
    if chosen_lengths is not None:
        c, r = c / chosen_lengths, r / rejected_lengths
    return (c - r - 1 / (2 * beta)) ** 2


def ref_hinge(pc, pr, rc, rr, beta=0.1):
    return np.maximum(0.0, 1 - beta * ((pc - rc) - (pr - rr)))


def ref_lndpo(pc, pr, rc, rr, beta=0.1, chosen_lengths=None, rejected_lengths=None):
    return -logsig(beta * ((pc - rc) / chosen_lengths - (pr - rr) / rejected_lengths))


def ref_exo(pc, pr, rc, rr, beta=0.1, epsilon=1e-3):
    q = sig(beta * ((pc - rc) - (pr - rr)))
    return q * np.log(q / (1 - epsilon)) + (1 - q) * np.log((1 - q) / epsilon)


def ref_nca_pair(pc, pr, rc, rr, beta=0.1):
    a, b = beta * (pc - rc), beta * (pr - rr)
    return -logsig(a) - 0.5 * logsig(-a) - 0.5 * logsig(-b)


def ref_bco(pc, pr, rc, rr, beta=0.1, delta=0.0):
    a, b = beta * (pc - rc), beta * (pr - rr)
    return -logsig(a - delta) - logsig(-(b - delta))


def ref_sppo(pc, pr, rc, rr, beta=0.1):
    return (pc - rc - 1 / (2 * beta)) ** 2 + (pr - rr + 1 / (2 * beta)) ** 2


def ref_apo_zero(pc, pr, rc, rr, beta=0.1):
    return 1 - sig(beta * (pc - rc)) + sig(beta * (pr - rr))


def ref_apo_down(pc, pr, rc, rr, beta=0.1):
    c, r = pc - rc, pr - rr
    return sig(beta * c) + 1 - sig(beta * (c - r))


def ref_discopop(pc, pr, rc, rr, beta=0.1, tau=0.05):
    x = beta * ((pc - rc) - (pr - rr))
    m = sig(x / tau)
    return (1 - m) * (-logsig(x)) + m * np.exp(-x)


def ref_simpo(pc, pr, beta=2.0, gamma=1.0, chosen_lengths=None, rejected_lengths=None):
    return -logsig(beta * (pc / chosen_lengths - pr / rejected_lengths) - gamma)


def ref_cpo(pc, pr, beta=0.1, alpha=1.0, chosen_lengths=None):
    return -logsig(beta * (pc - pr)) - alpha * pc / chosen_lengths


def ref_orpo(pc, pr, beta=0.1, chosen_lengths=None, rejected_lengths=None):
    a, b = pc / chosen_lengths, pr / rejected_lengths
    odds = lambda lp: np.exp(lp) / (1 - np.exp(lp))  # noqa: E731
    return -a - beta * logsig(np.log(odds(a)) - np.log(odds(b)))


def ref_rpo(pc, pr, rc, rr, beta=0.1, alpha=1.0, chosen_lengths=None):
    return ref_dpo(pc, pr, rc, rr, beta) - alpha * pc / chosen_lengths


def ref_cringe(pc, pr, margin=1.0, tau=1.0, alpha=1.0, chosen_lengths=None, rejected_lengths=None):
    a, b = pc / chosen_lengths, pr / rejected_lengths
    g = sig((margin - (a - b)) / tau)
    return -a + alpha * g * (-np.log(np.exp(a) / (np.exp(a) + np.exp(b))))


def ref_lcpo(pc, pr, rc, rr, beta=0.1, epsilon=0.1, include_flipped=False):
    x = beta * ((pc - rc) - (pr - rr))
    p = sig(x)
    g = (1 - epsilon) * p / ((1 - epsilon) * p + epsilon * (1 - p))
    out = -g * np.log(p)
    if include_flipped:
        out = out - (1 - g) * np.log(1 - p)
    return out


def softmax_np(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def ref_infonca(pl, rl, rw, beta=0.1, alpha=1.0):
    p = softmax_np(rw / alpha)
    q = softmax_np(beta * (pl - rl))
    return -(p * np.log(q)).sum(-1)


def ref_nca(pl, rl, rw, beta=0.1, alpha=1.0):
    p = softmax_np(rw / alpha)
    r = beta * (pl - rl)
    k = pl.shape[1]
    return -(p * logsig(r) + logsig(-r) / k).sum(-1)


def ref_pl(pl, rl, beta=0.1, num_ranked=None):
    r = beta * (pl - rl)
    k = r.shape[1]
    m = k - 1 if num_ranked is None else num_ranked
    out = np.zeros(r.shape[0])
    for i in range(r.shape[0]):
        for j in range(m):
            out[i] -= r[i, j] - np.log(np.exp(r[i, j:]).sum())
    return out


# ------------------------------------------------------------------------------------------------
# Case table
# ------------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    kind: str  # "pair" (4 log-prob tensors), "free" (2), "kway" (policy, ref, rewards), "pl" (policy, ref)
    kw: dict[str, Any] = field(default_factory=dict)
    lengths: str | None = None  # None, "chosen" or "both"
    module: type | None = None


CASES = [
    Case("dpo", L.dpo_loss, ref_dpo, "pair", {"beta": 0.3}, module=L.DPOLoss),
    Case(
        "cdpo",
        L.conservative_dpo_loss,
        ref_cdpo,
        "pair",
        {"beta": 0.2, "label_smoothing": 0.15},
        module=L.ConservativeDPOLoss,
    ),
    Case("rdpo", L.robust_dpo_loss, ref_rdpo, "pair", {"beta": 0.2, "epsilon": 0.2}, module=L.RobustDPOLoss),
    Case("ipo", L.ipo_loss, ref_ipo, "pair", {"beta": 0.5}, module=L.IPOLoss),
    Case("ipo_len", L.ipo_loss, ref_ipo, "pair", {"beta": 0.5}, lengths="both", module=L.IPOLoss),
    Case("hinge", L.hinge_loss, ref_hinge, "pair", {"beta": 0.1}, module=L.HingeLoss),
    Case(
        "lndpo",
        L.length_normalized_dpo_loss,
        ref_lndpo,
        "pair",
        {"beta": 0.7},
        lengths="both",
        module=L.LengthNormalizedDPOLoss,
    ),
    Case("exo", L.exo_pair_loss, ref_exo, "pair", {"beta": 0.2, "epsilon": 0.01}, module=L.EXOPairLoss),
    Case("nca_pair", L.nca_pair_loss, ref_nca_pair, "pair", {"beta": 0.2}, module=L.NCAPairLoss),
    Case("bco", L.bco_pair_loss, ref_bco, "pair", {"beta": 0.2, "delta": 0.3}),
    Case("sppo", L.sppo_hard_loss, ref_sppo, "pair", {"beta": 0.5}, module=L.SPPOHardLoss),
    Case("apo_zero", L.apo_zero_loss, ref_apo_zero, "pair", {"beta": 0.2}, module=L.APOZeroLoss),
    Case("apo_down", L.apo_down_loss, ref_apo_down, "pair", {"beta": 0.2}, module=L.APODownLoss),
    Case("discopop", L.discopop_loss, ref_discopop, "pair", {"beta": 0.1, "tau": 0.5}, module=L.DiscoPOPLoss),
    Case("discopop_default", L.discopop_loss, ref_discopop, "pair", {"beta": 0.01}),
    Case(
        "simpo",
        L.simpo_loss,
        ref_simpo,
        "free",
        {"beta": 2.0, "gamma": 0.5},
        lengths="both",
        module=L.SimPOLoss,
    ),
    Case("cpo", L.cpo_loss, ref_cpo, "free", {"beta": 0.2, "alpha": 0.5}, lengths="chosen", module=L.CPOLoss),
    Case("orpo", L.orpo_loss, ref_orpo, "free", {"beta": 0.3}, lengths="both", module=L.ORPOLoss),
    Case("rpo", L.rpo_loss, ref_rpo, "pair", {"beta": 0.2, "alpha": 0.7}, lengths="chosen", module=L.RPOLoss),
    Case(
        "cringe",
        L.pairwise_cringe_loss,
        ref_cringe,
        "free",
        {"margin": 0.5, "tau": 0.7, "alpha": 1.3},
        lengths="both",
        module=L.PairwiseCringeLoss,
    ),
    Case("lcpo", L.lcpo_loss, ref_lcpo, "pair", {"beta": 0.3, "epsilon": 0.2}),
    Case("lcpo_full", L.lcpo_loss, ref_lcpo, "pair", {"beta": 0.3, "epsilon": 0.2, "include_flipped": True}),
    Case("infonca", L.infonca_loss, ref_infonca, "kway", {"beta": 0.3, "alpha": 0.5}, module=L.InfoNCALoss),
    Case("nca", L.nca_loss, ref_nca, "kway", {"beta": 0.3, "alpha": 0.5}, module=L.NCALoss),
    Case("pl", L.plackett_luce_dpo_loss, ref_pl, "pl", {"beta": 0.3}, module=L.PlackettLuceDPOLoss),
    Case("pl_top2", L.plackett_luce_dpo_loss, ref_pl, "pl", {"beta": 0.3, "num_ranked": 2}),
]
IDS = [c.name for c in CASES]
B, K = 9, 4


def make_inputs(case: Case, seed: int, dtype=torch.float64) -> dict[str, Any]:
    """Random log-probs (negative, like real sequence log-probs), lengths and rewards as numpy float64."""
    rng = np.random.default_rng(seed)
    if case.kind in ("kway", "pl"):
        d = {"pl": -rng.uniform(1, 30, (B, K)), "rl": -rng.uniform(1, 30, (B, K))}
        if case.kind == "kway":
            d["rw"] = rng.normal(0, 1.5, (B, K))
        return d
    d = {"pc": -rng.uniform(0.5, 30, B), "pr": -rng.uniform(0.5, 30, B)}
    if case.kind == "pair":
        d["rc"] = -rng.uniform(0.5, 30, B)
        d["rr"] = -rng.uniform(0.5, 30, B)
    if case.lengths:
        d["chosen_lengths"] = rng.integers(1, 12, B).astype(np.float64)
        d["rejected_lengths"] = rng.integers(1, 12, B).astype(np.float64)
    return d


def tensor_args(case: Case, d: dict[str, Any], dtype=torch.float64, grad=False):
    def t(x):
        return torch.tensor(x, dtype=dtype, requires_grad=grad)

    if case.kind == "kway":
        args = [t(d["pl"]), t(d["rl"]), torch.tensor(d["rw"], dtype=dtype)]
    elif case.kind == "pl":
        args = [t(d["pl"]), t(d["rl"])]
    else:
        names = ["pc", "pr", "rc", "rr"] if case.kind == "pair" else ["pc", "pr"]
        args = [t(d[n]) for n in names]
    kw = {}
    if case.lengths:
        kw["chosen_lengths"] = torch.tensor(d["chosen_lengths"], dtype=dtype)
        if case.lengths == "both":
            kw["rejected_lengths"] = torch.tensor(d["rejected_lengths"], dtype=dtype)
    return args, kw


def reference_losses(case: Case, d: dict[str, Any]) -> np.ndarray:
    if case.kind == "kway":
        return case.ref(d["pl"], d["rl"], d["rw"], **case.kw)
    if case.kind == "pl":
        return case.ref(d["pl"], d["rl"], **case.kw)
    names = ["pc", "pr", "rc", "rr"] if case.kind == "pair" else ["pc", "pr"]
    kw = dict(case.kw)
    if case.lengths:
        kw["chosen_lengths"] = d["chosen_lengths"]
        if case.lengths == "both":
            kw["rejected_lengths"] = d["rejected_lengths"]
    return case.ref(*[d[n] for n in names], **kw)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_float64_reference(case: Case, seed: int) -> None:
    d = make_inputs(case, seed)
    want = reference_losses(case, d)
    assert np.all(np.isfinite(want))
    args, kw = tensor_args(case, d)
    got = case.fn(*args, **case.kw, **kw, reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(case.fn(*args, **case.kw, **kw).item(), want.mean(), rtol=1e-10)
    np.testing.assert_allclose(case.fn(*args, **case.kw, **kw, reduction="sum").item(), want.sum(), rtol=1e-10)
    w = np.random.default_rng(seed + 100).uniform(0, 2, want.shape[0])
    got_w = case.fn(*args, **case.kw, **kw, weights=torch.tensor(w))
    np.testing.assert_allclose(got_w.item(), (w * want).sum() / w.sum(), rtol=1e-10)
    got_wn = case.fn(*args, **case.kw, **kw, weights=torch.tensor(w), reduction="none")
    np.testing.assert_allclose(got_wn.numpy(), w * want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_float64(case: Case) -> None:
    d = make_inputs(case, 7)
    args, kw = tensor_args(case, d, grad=True)
    n_diff = 2 if case.kind in ("kway", "pl") else len(args)
    diff, rest = args[:n_diff], args[n_diff:]
    w = torch.tensor(np.random.default_rng(3).uniform(0.1, 2, B), dtype=torch.float64)
    if case.fn is L.lcpo_loss:
        # the E-step posteriors are constants of the M-step objective: hold them fixed
        kw = {**kw, "posteriors": L.lcpo_posteriors(*diff, beta=case.kw["beta"], epsilon=case.kw["epsilon"])}

    def f(*xs):
        return case.fn(*xs, *rest, **case.kw, **kw, weights=w)

    assert torch.autograd.gradcheck(f, tuple(diff), eps=1e-6, atol=1e-5, rtol=1e-4)


def extreme_inputs(case: Case, dtype=torch.float32):
    """Inputs whose scaled margins beta*delta span [-1e4, 1e4] (log-probs all <= -1)."""
    x = torch.tensor([-1e4, -3e3, -50.0, -1.0, 0.0, 1.0, 50.0, 3e3, 1e4], dtype=torch.float64)
    beta = case.kw.get("beta", 1.0)
    if case.kind in ("kway", "pl"):
        spread = torch.stack([x, torch.zeros_like(x), -x, x / 2], dim=1) / beta
        pol = (-1.0 - spread.abs() + spread).to(dtype).requires_grad_(True)
        ref = (-1.0 - spread.abs()).to(dtype)
        args = [pol, ref]
        if case.kind == "kway":
            args.append(torch.stack([x, -x, x / 3, torch.zeros_like(x)], dim=1).to(dtype))
        return args, {}, [pol]
    pc = (-1.0 - torch.relu(-x) / beta).to(dtype).requires_grad_(True)
    pr = (-1.0 - torch.relu(x) / beta).to(dtype).requires_grad_(True)
    args = [pc, pr]
    if case.kind == "pair":
        rc = torch.full_like(pc, -1.0).requires_grad_(True)
        rr = torch.full_like(pc, -1.0).requires_grad_(True)
        args += [rc, rr]
    kw = {}
    if case.lengths:
        kw["chosen_lengths"] = torch.ones(x.shape[0], dtype=dtype)
        if case.lengths == "both":
            kw["rejected_lengths"] = torch.ones(x.shape[0], dtype=dtype)
    return args, kw, [a for a in args if a.requires_grad]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_finite_in_float32_at_extreme_margins(case: Case) -> None:
    args, kw, leaves = extreme_inputs(case)
    per = case.fn(*args, **case.kw, **kw, reduction="none")
    assert per.dtype == torch.float32
    assert torch.isfinite(per).all(), per
    per.sum().backward()
    for leaf in leaves:
        assert leaf.grad is not None and torch.isfinite(leaf.grad).all(), leaf.grad


def test_extreme_margin_values_are_right() -> None:
    # DPO at beta*delta = -1e4 is 1e4 (not inf) and its gradient wrt delta is -beta
    pc = torch.tensor([0.0], requires_grad=True)
    loss = L.dpo_loss(pc, torch.tensor([1e5]), beta=0.1)
    loss.backward()
    assert loss.item() == pytest.approx(1e4, rel=1e-6)
    assert pc.grad.item() == pytest.approx(-0.1, rel=1e-6)
    # DiscoPOP: TRL's exp(-x)*sigmoid(x/tau) is inf*0 = nan here; ours is the finite logistic branch
    x = torch.tensor([-1e4])
    assert L.discopop_loss(x, torch.zeros(1), beta=1.0).item() == pytest.approx(1e4, rel=1e-6)
    # ORPO with average log-prob at (or rounding to) zero stays finite thanks to the clamp and log1mexp
    z = torch.tensor([0.0, -1e-9, -1e4], requires_grad=True)
    out = L.orpo_loss(z, torch.tensor([-1.0, -1.0, -1.0]), reduction="none")
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(z.grad).all()


# ------------------------------------------------------------------------------------------------
# Identities
# ------------------------------------------------------------------------------------------------


def _pair(seed=5, n=11):
    g = torch.Generator().manual_seed(seed)
    return [-(torch.rand(n, generator=g, dtype=torch.float64) * 30 + 0.5) for _ in range(4)]


def test_robust_dpo_epsilon_zero_is_dpo() -> None:
    a = _pair()
    torch.testing.assert_close(
        L.robust_dpo_loss(*a, beta=0.3, epsilon=0.0, reduction="none"),
        L.dpo_loss(*a, beta=0.3, reduction="none"),
    )


def test_conservative_dpo_smoothing_zero_is_dpo() -> None:
    a = _pair()
    torch.testing.assert_close(
        L.conservative_dpo_loss(*a, beta=0.3, label_smoothing=0.0, reduction="none"),
        L.dpo_loss(*a, beta=0.3, reduction="none"),
    )


def test_infonca_two_way_binary_rewards_is_dpo() -> None:
    pc, pr, rc, rr = _pair()
    rewards = torch.tensor([[1.0, 0.0]], dtype=torch.float64).expand(pc.shape[0], 2)
    got = L.infonca_loss(
        torch.stack([pc, pr], 1), torch.stack([rc, rr], 1), rewards, beta=0.3, alpha=1e-3, reduction="none"
    )
    torch.testing.assert_close(got, L.dpo_loss(pc, pr, rc, rr, beta=0.3, reduction="none"))
    # -inf reward gives an exactly one-hot target for any alpha
    rewards_inf = torch.tensor([[0.0, -math.inf]], dtype=torch.float64).expand(pc.shape[0], 2)
    got_inf = L.infonca_loss(torch.stack([pc, pr], 1), torch.stack([rc, rr], 1), rewards_inf, beta=0.3)
    torch.testing.assert_close(got_inf, L.dpo_loss(pc, pr, rc, rr, beta=0.3))


def test_length_normalized_dpo_unit_lengths_is_dpo() -> None:
    a = _pair()
    one = torch.ones_like(a[0])
    torch.testing.assert_close(
        L.length_normalized_dpo_loss(*a, beta=0.3, chosen_lengths=one, rejected_lengths=one, reduction="none"),
        L.dpo_loss(*a, beta=0.3, reduction="none"),
    )


def test_nca_two_way_one_hot_is_nca_pair() -> None:
    pc, pr, rc, rr = _pair()
    rewards = torch.tensor([[0.0, -math.inf]], dtype=torch.float64).expand(pc.shape[0], 2)
    torch.testing.assert_close(
        L.nca_loss(torch.stack([pc, pr], 1), torch.stack([rc, rr], 1), rewards, beta=0.3, reduction="none"),
        L.nca_pair_loss(pc, pr, rc, rr, beta=0.3, reduction="none"),
    )


def test_plackett_luce_two_way_is_dpo() -> None:
    pc, pr, rc, rr = _pair()
    torch.testing.assert_close(
        L.plackett_luce_dpo_loss(torch.stack([pc, pr], 1), torch.stack([rc, rr], 1), beta=0.3, reduction="none"),
        L.dpo_loss(pc, pr, rc, rr, beta=0.3, reduction="none"),
    )


def test_lcpo_tiny_flip_rate_is_dpo_and_downweights_contradicted_pairs() -> None:
    a = _pair()
    torch.testing.assert_close(
        L.lcpo_loss(*a, beta=0.3, epsilon=1e-12, reduction="none"),
        L.dpo_loss(*a, beta=0.3, reduction="none"),
        rtol=1e-9,
        atol=1e-9,
    )
    gamma = L.lcpo_posteriors(*a, beta=0.3, epsilon=0.2)
    delta = (a[0] - a[2]) - (a[1] - a[3])
    order = torch.argsort(delta)
    assert torch.all(torch.diff(gamma[order]) >= 0)  # more contradicted by the model -> less trusted


def test_lcpo_gradient_is_posterior_weighted_dpo_gradient() -> None:
    pc, pr, rc, rr = (x.clone().requires_grad_(True) for x in _pair())
    L.lcpo_loss(pc, pr, rc, rr, beta=0.3, epsilon=0.2, reduction="sum").backward()
    gamma = L.lcpo_posteriors(pc, pr, rc, rr, beta=0.3, epsilon=0.2)
    pc2 = pc.detach().clone().requires_grad_(True)
    (gamma * L.dpo_loss(pc2, pr.detach(), rc.detach(), rr.detach(), beta=0.3, reduction="none")).sum().backward()
    torch.testing.assert_close(pc.grad, pc2.grad)
    with pytest.raises(PrefrankError, match="posteriors"):
        L.lcpo_loss(pc, pr, posteriors=torch.ones(3))


def test_reference_free_equals_zero_reference() -> None:
    pc, pr, _, _ = _pair()
    z = torch.zeros_like(pc)
    torch.testing.assert_close(L.dpo_loss(pc, pr), L.dpo_loss(pc, pr, z, z))


def test_zero_weight_pairs_get_no_gradient() -> None:
    pc, pr, rc, rr = (x.clone().requires_grad_(True) for x in _pair())
    w = torch.tensor([1.0, 0.0] * 5 + [1.0], dtype=torch.float64)
    L.robust_dpo_loss(pc, pr, rc, rr, weights=w).backward()
    assert torch.all(pc.grad[w == 0] == 0) and torch.all(pc.grad[w > 0] != 0)


# ------------------------------------------------------------------------------------------------
# Modules
# ------------------------------------------------------------------------------------------------

MODULE_CASES = [c for c in CASES if c.module is not None]


@pytest.mark.parametrize("case", MODULE_CASES, ids=[c.name for c in MODULE_CASES])
def test_module_matches_function(case: Case) -> None:
    d = make_inputs(case, 11)
    args, kw = tensor_args(case, d)
    mod = case.module(**case.kw, reduction="sum")
    torch.testing.assert_close(mod(*args, **kw), case.fn(*args, **case.kw, **kw, reduction="sum"))
    assert isinstance(mod, torch.nn.Module)
    assert "reduction='sum'" in repr(mod)
    assert case.fn.__name__ in (type(mod).__doc__ or "")


def test_module_rejects_bad_options() -> None:
    with pytest.raises(PrefrankError, match="unknown option"):
        L.DPOLoss(gamma=1.0)
    with pytest.raises(PrefrankError, match="beta"):
        L.DPOLoss(beta=-1.0)
    with pytest.raises(PrefrankError, match="epsilon"):
        L.RobustDPOLoss(epsilon=0.5)
    with pytest.raises(PrefrankError, match="reduction"):
        L.IPOLoss(reduction="avg")
    with pytest.raises(PrefrankError, match="momentum"):
        L.LCPOLoss(momentum=0.0)
    with pytest.raises(PrefrankError, match="epsilon"):
        L.LCPOLoss(epsilon=0.6)


def test_lcpo_module_em_updates_flip_rate() -> None:
    g = torch.Generator().manual_seed(0)
    n = 400
    delta = torch.randn(n, generator=g, dtype=torch.float64) * 20
    flipped = torch.rand(n, generator=g, dtype=torch.float64) < 0.3
    delta[flipped] = -delta[flipped].abs()
    delta[~flipped] = delta[~flipped].abs()
    z = torch.zeros(n, dtype=torch.float64)
    mod = L.LCPOLoss(beta=0.5, epsilon=0.05, momentum=1.0)
    for _ in range(30):
        mod(delta, z, z, z)
    # EM fixed point: the estimated flip rate moves from 0.05 to the contradicted share (about 0.3)
    assert abs(float(mod.epsilon) - flipped.double().mean().item()) < 0.03
    mod.eval()
    before = float(mod.epsilon)
    mod(delta, z, z, z)
    assert float(mod.epsilon) == before  # no update in eval mode


def test_bco_module_tracks_running_delta() -> None:
    pc = torch.tensor([2.0, 4.0], dtype=torch.float64)
    pr = torch.tensor([0.0, 2.0], dtype=torch.float64)
    z = torch.zeros(2, dtype=torch.float64)
    mod = L.BCOPairLoss(beta=1.0, momentum=1.0)
    got = mod(pc, pr, z, z)
    assert float(mod.running_delta) == pytest.approx(2.0)  # mean of rewards 2, 4, 0, 2
    torch.testing.assert_close(got, L.bco_pair_loss(pc, pr, z, z, beta=1.0, delta=2.0))
    fixed = L.BCOPairLoss(beta=1.0, delta=0.5, track_delta=False)
    torch.testing.assert_close(fixed(pc, pr, z, z), L.bco_pair_loss(pc, pr, z, z, beta=1.0, delta=0.5))


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


def test_errors() -> None:
    a = torch.zeros(3)
    b = torch.zeros(4)
    with pytest.raises(PrefrankError, match="shape"):
        L.dpo_loss(a, b)
    with pytest.raises(PrefrankError, match="1-D"):
        L.dpo_loss(torch.zeros(2, 2), torch.zeros(2, 2))
    with pytest.raises(PrefrankError, match="both"):
        L.dpo_loss(a, a, a, None)
    with pytest.raises(PrefrankError, match="Tensor"):
        L.dpo_loss([0.0], a)
    with pytest.raises(PrefrankError, match="floating"):
        L.dpo_loss(torch.zeros(3, dtype=torch.int64), a)
    with pytest.raises(PrefrankError, match="beta"):
        L.dpo_loss(a, a, beta=0.0)
    with pytest.raises(PrefrankError, match="beta"):
        L.ipo_loss(a, a, beta=math.nan)
    with pytest.raises(PrefrankError, match="reduction"):
        L.dpo_loss(a, a, reduction="avg")
    with pytest.raises(PrefrankError, match="weights"):
        L.dpo_loss(a, a, weights=torch.ones(4))
    with pytest.raises(PrefrankError, match="label_smoothing"):
        L.conservative_dpo_loss(a, a, label_smoothing=0.6)
    with pytest.raises(PrefrankError, match="epsilon"):
        L.robust_dpo_loss(a, a, epsilon=0.5)
    with pytest.raises(PrefrankError, match="epsilon"):
        L.exo_pair_loss(a, a, epsilon=0.0)
    with pytest.raises(PrefrankError, match="chosen_lengths"):
        L.ipo_loss(a, a, chosen_lengths=torch.ones(4), rejected_lengths=torch.ones(3))
    with pytest.raises(PrefrankError, match="lengths"):
        L.length_normalized_dpo_loss(a, a, chosen_lengths=None, rejected_lengths=None)
    with pytest.raises(PrefrankError, match="tau"):
        L.discopop_loss(a, a, tau=0.0)
    with pytest.raises(PrefrankError, match="gamma"):
        L.simpo_loss(a, a, gamma=-1.0)
    with pytest.raises(PrefrankError, match="alpha"):
        L.cpo_loss(a, a, alpha=-1.0)
    with pytest.raises(PrefrankError, match="max_logp"):
        L.orpo_loss(a, a, max_logp=0.0)
    with pytest.raises(PrefrankError, match="delta"):
        L.bco_pair_loss(a, a, delta=math.inf)
    with pytest.raises(PrefrankError, match="epsilon"):
        L.lcpo_posteriors(a, a, epsilon=0.0)
    k = torch.zeros(3, 4)
    with pytest.raises(PrefrankError, match="2-D"):
        L.infonca_loss(a, None, a)
    with pytest.raises(PrefrankError, match="K >= 2"):
        L.plackett_luce_dpo_loss(torch.zeros(3, 1))
    with pytest.raises(PrefrankError, match="ref_logps"):
        L.nca_loss(k, torch.zeros(3, 3), k)
    with pytest.raises(PrefrankError, match="rewards"):
        L.infonca_loss(k, k, torch.zeros(3, 3))
    with pytest.raises(PrefrankError, match="alpha"):
        L.infonca_loss(k, k, k, alpha=0.0)
    with pytest.raises(PrefrankError, match="num_ranked"):
        L.plackett_luce_dpo_loss(k, k, num_ranked=5)
    with pytest.raises(PrefrankError, match="num_ranked"):
        L.plackett_luce_dpo_loss(k, k, num_ranked=0)


def test_import_prefrank_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, prefrank; assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# ------------------------------------------------------------------------------------------------
# Bridge: rankings -> weights and flip rate
# ------------------------------------------------------------------------------------------------


def test_pair_label_probabilities_from_ranking_series_and_dict() -> None:
    pd = pytest.importorskip("pandas")
    import prefrank as pr

    data = pd.DataFrame(
        {
            "a": ["x", "x", "y", "x", "z", "y", "z", "x", "y", "z"],
            "b": ["y", "z", "z", "y", "x", "x", "y", "z", "z", "x"],
            "outcome": ["a", "a", "a", "a", "b", "b", "b", "a", "a", "a"],
        }
    )
    board = pr.bradley_terry(data, a="a", b="b", outcome="outcome", scale="elo")
    chosen, rejected = ["x", "z", "y"], ["y", "x", "x"]
    theta = dict(zip(board.items.tolist(), board.theta.tolist(), strict=True))
    want = np.array([1 / (1 + math.exp(-(theta[c] - theta[r]))) for c, r in zip(chosen, rejected, strict=True)])
    got = L.pair_label_probabilities(board, chosen, rejected)  # display scale (elo) does not matter
    np.testing.assert_allclose(got, want, rtol=1e-12)
    series = pr.bradley_terry(data, a="a", b="b", outcome="outcome", scale="log").scores
    np.testing.assert_allclose(L.pair_label_probabilities(series, chosen, rejected), want, rtol=1e-9)
    np.testing.assert_allclose(L.pair_label_probabilities(theta, chosen, rejected), want, rtol=1e-12)
    assert want[0] > 0.5 and want[1] < 0.5  # x beats y; "z over x" is contradicted
    assert L.estimate_flip_rate(got) == pytest.approx(np.mean(want < 0.5))
    assert L.estimate_flip_rate(got, method="expected") == pytest.approx(np.mean(1 - want))
    # the probabilities are the weights of a weighted DPO loss
    pc = torch.tensor([-3.0, -4.0, -5.0], dtype=torch.float64)
    z = torch.zeros(3, dtype=torch.float64)
    w = torch.as_tensor(got)
    torch.testing.assert_close(L.dpo_loss(pc, z, weights=w), (L.dpo_loss(pc, z, reduction="none") * w).sum() / w.sum())


def test_bridge_extreme_strengths_and_errors() -> None:
    p = L.pair_label_probabilities({"a": 800.0, "b": -800.0}, ["a", "b"], ["b", "a"])
    assert p[0] == 1.0 and p[1] == 0.0  # no overflow warning, exact limits
    with pytest.raises(PrefrankError, match="row 1: rejected label 'q' is not an item"):
        L.pair_label_probabilities({"a": 0.0, "b": 1.0}, ["a", "a"], ["b", "q"])
    with pytest.raises(PrefrankError, match="length mismatch"):
        L.pair_label_probabilities({"a": 0.0, "b": 1.0}, ["a"], ["b", "a"])
    with pytest.raises(PrefrankError, match="no pairs"):
        L.pair_label_probabilities({"a": 0.0}, [], [])
    with pytest.raises(PrefrankError, match="not finite"):
        L.pair_label_probabilities({"a": math.inf, "b": 1.0}, ["a"], ["b"])
    with pytest.raises(PrefrankError, match="ranking must be"):
        L.pair_label_probabilities([1.0, 2.0], ["a"], ["b"])
    with pytest.raises(PrefrankError, match=r"row 1: probability 1\.5"):
        L.estimate_flip_rate([0.5, 1.5])
    with pytest.raises(PrefrankError, match="non-empty"):
        L.estimate_flip_rate([])
    with pytest.raises(PrefrankError, match="method"):
        L.estimate_flip_rate([0.5], method="mean")
