"""Preference losses as plain functions over sequence log-probabilities.

Conventions shared by every pairwise loss (``B`` pairs):

* inputs are 1-D tensors of length ``B``: ``policy_chosen_logps``, ``policy_rejected_logps`` and, for the
  reference-based losses, ``ref_chosen_logps``, ``ref_rejected_logps`` (summed token log-probs of each
  completion, e.g. from :func:`prefrank.losses.sequence_logps`). Passing ``None`` for both reference tensors
  gives the reference-free variant (reference log-probs taken as zero).
* ``chosen_logratios = policy_chosen_logps - ref_chosen_logps`` (same for rejected) and the DPO margin
  ``delta = chosen_logratios - rejected_logratios``.
* ``weights`` (optional, shape ``[B]``) multiplies each pair's loss; ``reduction="mean"`` then returns
  ``sum(w * loss) / sum(w)``, ``"sum"`` returns ``sum(w * loss)``, ``"none"`` returns ``w * loss``.
  Weights from :mod:`prefrank.robust` (per-pair confidence) plug in here.
* everything is written with ``logsigmoid`` / ``softplus`` / ``log1mexp`` so that losses *and* gradients stay
  finite in float32 for ``|beta * delta|`` up to 1e4 (tested).

Where TRL's ``DPOTrainer`` changed a formula between releases the docstring says which definition this module
follows (TRL ``loss_type`` names are given for each loss).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from prefrank._options import check_finite, check_int, check_real
from prefrank.exceptions import input_error, parameter_error
from prefrank.losses._common import (
    check_nonneg,
    check_positive,
    lengths_or_one,
    log1mexp,
    pair_inputs,
    reduce,
    softplus,
)

__all__ = [
    "apo_down_loss",
    "apo_zero_loss",
    "bco_pair_loss",
    "conservative_dpo_loss",
    "cpo_loss",
    "discopop_loss",
    "dpo_loss",
    "exo_pair_loss",
    "hinge_loss",
    "implicit_rewards",
    "infonca_loss",
    "ipo_loss",
    "lcpo_loss",
    "lcpo_posteriors",
    "length_normalized_dpo_loss",
    "nca_loss",
    "nca_pair_loss",
    "orpo_loss",
    "pairwise_cringe_loss",
    "plackett_luce_dpo_loss",
    "robust_dpo_loss",
    "rpo_loss",
    "simpo_loss",
    "sppo_hard_loss",
]


def _margin(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None,
    ref_rejected_logps: Tensor | None,
) -> Tensor:
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return c - r


def implicit_rewards(policy_logps: Tensor, ref_logps: Tensor | None = None, *, beta: float = 0.1) -> Tensor:
    """DPO implicit reward ``beta * (log pi(y|x) - log pi_ref(y|x))`` (detached).

    Rafailov et al. 2023, "Direct Preference Optimization", eq. 5. Useful for logging reward accuracy.
    """
    check_positive("beta", beta)
    lr = policy_logps if ref_logps is None else policy_logps - ref_logps
    return (beta * lr).detach()


# --------------------------------------------------------------------------------------------------
# DPO and its direct relatives
# --------------------------------------------------------------------------------------------------


def dpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """DPO (sigmoid) loss.

    Rafailov et al. 2023, "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    (arXiv:2305.18290), eq. 7::

        loss = -log sigmoid(beta * delta),  delta = (pi_c - ref_c) - (pi_r - ref_r)

    TRL ``loss_type="sigmoid"`` with ``label_smoothing=0``. Default ``beta=0.1`` (TRL's default).
    """
    check_positive("beta", beta)
    delta = _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return reduce(-F.logsigmoid(beta * delta), weights, reduction)


def conservative_dpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    label_smoothing: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Conservative DPO (cDPO): DPO with label smoothing ``eps``.

    Mitchell 2023, "A note on DPO with noisy preferences & relationship to IPO" (cDPO)::

        loss = -(1 - eps) * log sigmoid(beta * delta) - eps * log sigmoid(-beta * delta)

    TRL ``loss_type="sigmoid"`` with ``label_smoothing=eps``. ``eps`` in ``[0, 0.5]``; ``eps=0`` is DPO.
    """
    check_positive("beta", beta)
    check_real("label_smoothing", label_smoothing, min=0.0, max=0.5)
    x = beta * _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    losses = -(1.0 - label_smoothing) * F.logsigmoid(x) - label_smoothing * F.logsigmoid(-x)
    return reduce(losses, weights, reduction)


def robust_dpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    epsilon: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Robust DPO (rDPO): unbiased DPO loss under preference flips with known rate ``epsilon``.

    Chowdhury, Kini, Natarajan 2024, "Provably Robust DPO: Aligning Language Models with Noisy Feedback"
    (arXiv:2403.00409), eq. 8::

        loss = [(1 - eps) * l(beta * delta) - eps * l(-beta * delta)] / (1 - 2 * eps),  l(x) = -log sigmoid(x)

    i.e. ``(-(1 - eps) * log sigmoid(x) + eps * log sigmoid(-x)) / (1 - 2 eps)``. This is the paper's
    definition and the one older TRL releases shipped as ``loss_type="robust"``; recent TRL source changed the
    sign of the flipped term (making it a rescaled cDPO). We follow the paper. ``epsilon`` in ``[0, 0.5)``;
    ``0`` gives DPO. The flip rate estimated by :mod:`prefrank.robust` is the natural ``epsilon``.
    """
    check_positive("beta", beta)
    check_real("epsilon", epsilon, min=0.0, max=0.5, max_open=True)
    x = beta * _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    losses = (-(1.0 - epsilon) * F.logsigmoid(x) + epsilon * F.logsigmoid(-x)) / (1.0 - 2.0 * epsilon)
    return reduce(losses, weights, reduction)


def ipo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    chosen_lengths: Tensor | None = None,
    rejected_lengths: Tensor | None = None,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """IPO loss.

    Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human Preferences"
    (arXiv:2310.12036), eq. 17 with ``tau = beta``::

        loss = (delta - 1 / (2 * beta)) ** 2

    Log-ratios are divided by ``chosen_lengths`` / ``rejected_lengths`` when given (per-token average, what
    recent TRL does for ``loss_type="ipo"``); without lengths this is the paper's / older TRL's summed form.
    """
    check_positive("beta", beta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    lc = lengths_or_one("chosen_lengths", chosen_lengths, c)
    lr = lengths_or_one("rejected_lengths", rejected_lengths, r)
    if lc is not None:
        c = c / lc
    if lr is not None:
        r = r / lr
    return reduce((c - r - 1.0 / (2.0 * beta)) ** 2, weights, reduction)


def hinge_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Hinge loss on the normalised likelihood (SLiC / RSO).

    Zhao et al. 2023, "SLiC-HF" (arXiv:2305.10425) and Liu et al. 2023, "Statistical Rejection Sampling
    Improves Preference Optimization" (RSO, arXiv:2309.06657), eq. 10 with ``gamma = beta``::

        loss = max(0, 1 - beta * delta)

    TRL ``loss_type="hinge"``. Reference-free (``ref_* = None``) gives SLiC's calibration loss with margin
    ``1 / beta``.
    """
    check_positive("beta", beta)
    delta = _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return reduce(torch.relu(1.0 - beta * delta), weights, reduction)


def length_normalized_dpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    chosen_lengths: Tensor,
    rejected_lengths: Tensor,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Length-normalised DPO (LN-DPO).

    DPO on per-token average log-ratios, as studied in Meng et al. 2024, "SimPO" (arXiv:2405.14734, sec. 4,
    "length normalisation") and Ahrabian et al. 2024 (LN-DPO)::

        loss = -log sigmoid(beta * ((pi_c - ref_c) / |y_c| - (pi_r - ref_r) / |y_r|))

    With unit lengths this is :func:`dpo_loss`. TRL ``loss_type="sigmoid_norm"``.
    """
    check_positive("beta", beta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    lc = lengths_or_one("chosen_lengths", chosen_lengths, c)
    lr = lengths_or_one("rejected_lengths", rejected_lengths, r)
    if lc is None or lr is None:
        raise parameter_error(
            "chosen_lengths" if lc is None else "rejected_lengths",
            "length_normalized_dpo_loss needs chosen_lengths and rejected_lengths",
        )
    return reduce(-F.logsigmoid(beta * (c / lc - r / lr)), weights, reduction)


def exo_pair_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    epsilon: float = 1e-3,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """EXO (pairwise): reverse KL from the model's pair distribution to the smoothed label.

    Ji et al. 2024, "Towards Efficient Exact Optimization of Language Model Alignment" (arXiv:2402.00856),
    eq. 16 with K = 2; ``q = sigmoid(beta * delta)`` and the label distribution ``(1 - eps, eps)``::

        loss = q * (log q - log(1 - eps)) + (1 - q) * (log(1 - q) - log eps)

    TRL ``loss_type="exo_pair"`` (TRL replaces ``eps=0`` by ``1e-3``; here ``eps`` must be in ``(0, 0.5)`` and
    defaults to ``1e-3``). ``log q`` and ``log(1 - q)`` are computed with ``logsigmoid``.
    """
    check_positive("beta", beta)
    check_real("epsilon", epsilon, min=0.0, max=0.5, min_open=True, max_open=True)
    x = beta * _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    losses = torch.sigmoid(x) * (F.logsigmoid(x) - math.log1p(-epsilon)) + torch.sigmoid(-x) * (
        F.logsigmoid(-x) - math.log(epsilon)
    )
    return reduce(losses, weights, reduction)


def nca_pair_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """NCA (pairwise): noise-contrastive alignment with binary preference.

    Chen et al. 2024, "Noise Contrastive Alignment of Language Models with Explicit Rewards"
    (arXiv:2402.05369),
    eq. 12 with K = 2; ``r_c = beta * (pi_c - ref_c)``, ``r_r = beta * (pi_r - ref_r)``::

        loss = -log sigmoid(r_c) - 0.5 * log sigmoid(-r_c) - 0.5 * log sigmoid(-r_r)

    TRL ``loss_type="nca_pair"``.
    """
    check_positive("beta", beta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    rc, rr = beta * c, beta * r
    losses = -F.logsigmoid(rc) - 0.5 * F.logsigmoid(-rc) - 0.5 * F.logsigmoid(-rr)
    return reduce(losses, weights, reduction)


def bco_pair_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    delta: float = 0.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """BCO (pairwise): binary classifier of chosen vs rejected implicit rewards around a shift ``delta``.

    Jung et al. 2024, "Binary Classifier Optimization for Large Language Model Alignment" (arXiv:2404.04656),
    eq. 7; ``r_c = beta * (pi_c - ref_c)``, ``r_r = beta * (pi_r - ref_r)``::

        loss = -log sigmoid(r_c - delta) - log sigmoid(-(r_r - delta))

    TRL ``loss_type="bco_pair"`` uses for ``delta`` a running mean of the rewards; here ``delta`` is an
    explicit argument (default 0) so the loss is a pure function; :class:`prefrank.losses.BCOPairLoss` can
    track the running mean.
    """
    check_positive("beta", beta)
    check_finite("delta", delta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    rc, rr = beta * c, beta * r
    losses = -F.logsigmoid(rc - delta) - F.logsigmoid(-(rr - delta))
    return reduce(losses, weights, reduction)


def sppo_hard_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """SPPO with hard labels (winner probability 1, loser 0).

    Wu et al. 2024, "Self-Play Preference Optimization for Language Model Alignment" (arXiv:2405.00675), eq.
    4.4 with ``eta = 1 / beta`` and hard win probabilities::

        loss = (log_ratio_c - 1 / (2 beta)) ** 2 + (log_ratio_r + 1 / (2 beta)) ** 2

    TRL ``loss_type="sppo_hard"``.
    """
    check_positive("beta", beta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    half = 0.5 / beta
    return reduce((c - half) ** 2 + (r + half) ** 2, weights, reduction)


def apo_zero_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """APO-zero: push chosen likelihood up and rejected down (chosen better than the model's own outputs).

    D'Oosterlinck et al. 2024, "Anchored Preference Optimization and Contrastive Revisions"
    (arXiv:2408.06266),
    eq. 7::

        loss = (1 - sigmoid(beta * log_ratio_c)) + sigmoid(beta * log_ratio_r)

    TRL ``loss_type="apo_zero"``. ``1 - sigmoid(x)`` is computed as ``sigmoid(-x)``.
    """
    check_positive("beta", beta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return reduce(torch.sigmoid(-beta * c) + torch.sigmoid(beta * r), weights, reduction)


def apo_down_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """APO-down: push both likelihoods down, rejected more (chosen worse than the model's own outputs).

    D'Oosterlinck et al. 2024, "Anchored Preference Optimization and Contrastive Revisions"
    (arXiv:2408.06266),
    eq. 8::

        loss = sigmoid(beta * log_ratio_c) + (1 - sigmoid(beta * (log_ratio_c - log_ratio_r)))

    TRL ``loss_type="apo_down"``.
    """
    check_positive("beta", beta)
    c, r = pair_inputs(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return reduce(torch.sigmoid(beta * c) + torch.sigmoid(-beta * (c - r)), weights, reduction)


def discopop_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    tau: float = 0.05,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """DiscoPOP (log-ratio modulated loss, LRML).

    Chris Lu et al. 2024, "Discovering Preference Optimization Algorithms with and for Large Language Models"
    (arXiv:2406.08414), eq. 5; ``x = beta * delta``, ``m = sigmoid(x / tau)``::

        loss = (1 - m) * (-log sigmoid(x)) + m * exp(-x)

    TRL ``loss_type="discopop"`` (``discopop_tau=0.05``). TRL computes ``exp(-x) * m`` directly, which gives
    ``inf * 0 = nan`` for very negative ``x``; here ``m * exp(-x) = exp(log sigmoid(x / tau) - x)``, which is
    finite (and tends to 0) for ``x -> -inf`` whenever ``tau < 1``. ``1 - m = sigmoid(-x / tau)``.
    """
    check_positive("beta", beta)
    check_positive("tau", tau)
    x = beta * _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    losses = torch.sigmoid(-x / tau) * softplus(-x) + torch.exp(F.logsigmoid(x / tau) - x)
    return reduce(losses, weights, reduction)


# --------------------------------------------------------------------------------------------------
# Reference-free losses and losses with an NLL term
# --------------------------------------------------------------------------------------------------


def _avg(name: str, logps: Tensor, lengths: Tensor | None) -> Tensor:
    ln = lengths_or_one(name, lengths, logps)
    return logps if ln is None else logps / ln


def simpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    *,
    chosen_lengths: Tensor | None = None,
    rejected_lengths: Tensor | None = None,
    beta: float = 2.0,
    gamma: float = 1.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """SimPO: reference-free, length-normalised, with a target margin ``gamma``.

    Meng, Xia, Chen 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward"
    (arXiv:2405.14734), eq. 6::

        loss = -log sigmoid(beta * (pi_c / |y_c| - pi_r / |y_r|) - gamma)

    Pass summed log-probs with ``chosen_lengths`` / ``rejected_lengths``, or already averaged log-probs
    without lengths. TRL's ``CPOTrainer(loss_type="simpo")`` parametrises the margin as ``simpo_gamma =
    gamma / beta``.
    Defaults ``beta=2.0, gamma=1.0`` (the paper's range: beta 2.0-2.5, gamma 0.5-1.6).
    """
    check_positive("beta", beta)
    check_nonneg("gamma", gamma)
    pair_inputs(policy_chosen_logps, policy_rejected_logps, None, None)
    c = _avg("chosen_lengths", policy_chosen_logps, chosen_lengths)
    r = _avg("rejected_lengths", policy_rejected_logps, rejected_lengths)
    return reduce(-F.logsigmoid(beta * (c - r) - gamma), weights, reduction)


def cpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    *,
    chosen_lengths: Tensor | None = None,
    beta: float = 0.1,
    alpha: float = 1.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """CPO: reference-free DPO plus a behaviour-cloning NLL term on the chosen response.

    Xu et al. 2024, "Contrastive Preference Optimization: Pushing the Boundaries of LLM Performance in Machine
    Translation" (arXiv:2401.08417), eq. 6-7::

        loss = -log sigmoid(beta * (pi_c - pi_r)) + alpha * nll_c,   nll_c = -pi_c / |y_c|

    (``nll_c = -pi_c`` when ``chosen_lengths`` is not given). TRL ``CPOTrainer(loss_type="sigmoid",
    cpo_alpha=1.0)``, whose NLL is the token-mean cross-entropy, i.e. pass ``chosen_lengths``.
    """
    check_positive("beta", beta)
    check_nonneg("alpha", alpha)
    pair_inputs(policy_chosen_logps, policy_rejected_logps, None, None)
    nll = -_avg("chosen_lengths", policy_chosen_logps, chosen_lengths)
    losses = -F.logsigmoid(beta * (policy_chosen_logps - policy_rejected_logps)) + alpha * nll
    return reduce(losses, weights, reduction)


def orpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    *,
    chosen_lengths: Tensor | None = None,
    rejected_lengths: Tensor | None = None,
    beta: float = 0.1,
    max_logp: float = -1e-6,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """ORPO: NLL plus an odds-ratio preference term (reference-free).

    Hong, Lee, Thorne 2024, "ORPO: Monolithic Preference Optimization without Reference Model"
    (arXiv:2403.07691), eq. 6-7, with ``lambda = beta``; ``a = pi_c / |y_c|``, ``b = pi_r / |y_r|`` (per-token
    average log-probs), ``log odds(p) = log p - log(1 - p)``::

        loss = -a - beta * log sigmoid((a - b) - (log(1 - e^a) - log(1 - e^b)))

    TRL ``ORPOTrainer`` (beta = lambda = 0.1). ``log(1 - e^a)`` is computed with ``log1mexp`` (TRL's
    ``log1p(-exp(a))`` gives ``-inf`` and NaN gradients as ``a -> 0``); averages are clamped to at most
    ``max_logp`` (default ``-1e-6``), where the odds of a completion with probability one are infinite.
    """
    check_positive("beta", beta)
    check_real("max_logp", max_logp, max=0.0, max_open=True)
    pair_inputs(policy_chosen_logps, policy_rejected_logps, None, None)
    a = _avg("chosen_lengths", policy_chosen_logps, chosen_lengths).clamp(max=max_logp)
    b = _avg("rejected_lengths", policy_rejected_logps, rejected_lengths).clamp(max=max_logp)
    log_odds = (a - b) - (log1mexp(a) - log1mexp(b))
    return reduce(-a - beta * F.logsigmoid(log_odds), weights, reduction)


def rpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    chosen_lengths: Tensor | None = None,
    beta: float = 0.1,
    alpha: float = 1.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """DPO + NLL (RPO; Iterative Reasoning Preference Optimization).

    Pang et al. 2024, "Iterative Reasoning Preference Optimization" (arXiv:2404.19733), eq. 1-3, and Liu et
    al. 2024 (RPO, arXiv:2405.16436)::

        loss = -log sigmoid(beta * delta) + alpha * (-pi_c / |y_c|)

    TRL ``rpo_alpha`` (``nll`` is the token-mean cross-entropy of the chosen completion: pass
    ``chosen_lengths``; without them the summed NLL ``-pi_c`` is used).
    """
    check_positive("beta", beta)
    check_nonneg("alpha", alpha)
    delta = _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    nll = -_avg("chosen_lengths", policy_chosen_logps, chosen_lengths)
    return reduce(-F.logsigmoid(beta * delta) + alpha * nll, weights, reduction)


def pairwise_cringe_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    *,
    chosen_lengths: Tensor | None = None,
    rejected_lengths: Tensor | None = None,
    margin: float = 1.0,
    tau: float = 1.0,
    alpha: float = 1.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Pairwise Cringe loss, sequence-level form.

    Xu et al. 2023, "Some things are more CRINGE than others: Iterative Preference Optimization with the
    Pairwise Cringe Loss" (arXiv:2312.16682), eq. 1-3: NLL on the winner plus a Cringe term on the loser that
    is switched on by a soft gate when the winner does not beat the loser by at least ``margin``::

        g = sigmoid((margin - (a - b)) / tau),  a = pi_c / |y_c|,  b = pi_r / |y_r|
        loss = -a + alpha * g * C(a, b),         C(a, b) = -log sigmoid(a - b)

    The paper's Cringe term is token-level (each loser token contrasted with a token sampled from the model's
    top-k); with only sequence log-probs available, this function contrasts the loser sequence with the winner
    (``C = -log(e^a / (e^a + e^b))``). The gate is differentiated through (the paper also back-propagates it).
    """
    check_nonneg("margin", margin)
    check_positive("tau", tau)
    check_nonneg("alpha", alpha)
    pair_inputs(policy_chosen_logps, policy_rejected_logps, None, None)
    a = _avg("chosen_lengths", policy_chosen_logps, chosen_lengths)
    b = _avg("rejected_lengths", policy_rejected_logps, rejected_lengths)
    gate = torch.sigmoid((margin - (a - b)) / tau)
    return reduce(-a + alpha * gate * softplus(b - a), weights, reduction)


# --------------------------------------------------------------------------------------------------
# K-way and listwise losses
# --------------------------------------------------------------------------------------------------


def _kway_logratios(policy_logps: Tensor, ref_logps: Tensor | None, name: str = "policy_logps") -> Tensor:
    if not isinstance(policy_logps, Tensor) or not policy_logps.is_floating_point() or policy_logps.dim() != 2:
        raise input_error(f"{name} must be a 2-D float tensor [batch, K]", column=name)
    if policy_logps.shape[1] < 2:
        raise input_error(f"{name} has K={policy_logps.shape[1]} responses per prompt; need K >= 2", column=name)
    if ref_logps is None:
        return policy_logps
    if not isinstance(ref_logps, Tensor) or tuple(ref_logps.shape) != tuple(policy_logps.shape):
        raise input_error(f"ref_logps must be a tensor of shape {tuple(policy_logps.shape)}", column="ref_logps")
    return policy_logps - ref_logps


def _reward_targets(rewards: Tensor, like: Tensor, alpha: float) -> Tensor:
    if not isinstance(rewards, Tensor) or tuple(rewards.shape) != tuple(like.shape):
        raise input_error(f"rewards must be a tensor of shape {tuple(like.shape)}", column="rewards")
    check_positive("alpha", alpha)
    return torch.softmax(rewards.to(like.dtype) / alpha, dim=-1)


def infonca_loss(
    policy_logps: Tensor,
    ref_logps: Tensor | None,
    rewards: Tensor,
    *,
    beta: float = 0.1,
    alpha: float = 1.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """InfoNCA over K responses with explicit rewards.

    Chen et al. 2024, "Noise Contrastive Alignment of Language Models with Explicit Rewards"
    (arXiv:2402.05369),
    eq. 8; ``r_i = beta * (pi_i - ref_i)``, target ``p_i = softmax(rewards / alpha)_i``::

        loss = -sum_i p_i * log softmax(r)_i

    Shapes ``[B, K]``; rewards may be ``-inf`` (zero target mass). With K = 2 and one-hot targets this is DPO.
    """
    check_positive("beta", beta)
    check_positive("alpha", alpha)
    lr = _kway_logratios(policy_logps, ref_logps)
    target = _reward_targets(rewards, lr, alpha)
    logq = torch.log_softmax(beta * lr, dim=-1)
    losses = -(torch.where(target > 0, target * logq, torch.zeros_like(logq))).sum(-1)
    return reduce(losses, weights, reduction)


def nca_loss(
    policy_logps: Tensor,
    ref_logps: Tensor | None,
    rewards: Tensor,
    *,
    beta: float = 0.1,
    alpha: float = 1.0,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """NCA over K responses with explicit rewards.

    Chen et al. 2024, "Noise Contrastive Alignment of Language Models with Explicit Rewards"
    (arXiv:2402.05369),
    eq. 12; ``r_i = beta * (pi_i - ref_i)``, ``p_i = softmax(rewards / alpha)_i``::

        loss = -sum_i [p_i * log sigmoid(r_i) + (1 / K) * log sigmoid(-r_i)]

    With K = 2 and one-hot targets this is :func:`nca_pair_loss`.
    """
    check_positive("beta", beta)
    check_positive("alpha", alpha)
    lr = _kway_logratios(policy_logps, ref_logps)
    target = _reward_targets(rewards, lr, alpha)
    r = beta * lr
    k = lr.shape[1]
    losses = -(target * F.logsigmoid(r) + F.logsigmoid(-r) / k).sum(-1)
    return reduce(losses, weights, reduction)


def plackett_luce_dpo_loss(
    policy_logps: Tensor,
    ref_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    num_ranked: int | None = None,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Listwise DPO under the Plackett-Luce model over K ranked responses.

    Rafailov et al. 2023, "Direct Preference Optimization" (arXiv:2305.18290), appendix A.3, eq. 20; columns
    are ranked best first, ``r_k = beta * (pi_k - ref_k)``::

        loss = -sum_{k=1}^{m} [r_k - logsumexp(r_k, ..., r_K)]

    with ``m = num_ranked`` (default ``K - 1``; the last term is always zero). K = 2 is DPO.
    """
    check_positive("beta", beta)
    check_int("num_ranked", num_ranked, min=1, none=True)
    lr = _kway_logratios(policy_logps, ref_logps)
    k = lr.shape[1]
    m = k - 1 if num_ranked is None else int(num_ranked)
    if not 1 <= m <= k:
        raise parameter_error("num_ranked", f"num_ranked={num_ranked!r} must be an int in [1, K={k}]")
    r = beta * lr
    # suffix log-sum-exp: tail[:, k] = logsumexp(r[:, k:])
    tail = torch.logcumsumexp(r.flip(-1), dim=-1).flip(-1)
    losses = -(r[:, :m] - tail[:, :m]).sum(-1)
    return reduce(losses, weights, reduction)


# --------------------------------------------------------------------------------------------------
# EM weighting of pairs by estimated label correctness
# --------------------------------------------------------------------------------------------------


def lcpo_posteriors(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    epsilon: float = 0.1,
) -> Tensor:
    """E-step: posterior probability that each pair's label is correct (detached).

    With flip rate ``epsilon`` and the model's preference probability ``P = sigmoid(beta * delta)``::

        gamma = (1 - eps) P / ((1 - eps) P + eps (1 - P)) = sigmoid(beta * delta + log((1 - eps) / eps))
    """
    check_positive("beta", beta)
    check_real("epsilon", epsilon, min=0.0, max=1.0, min_open=True, max_open=True)
    x = beta * _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    return torch.sigmoid(x + math.log((1.0 - epsilon) / epsilon)).detach()


def lcpo_loss(
    policy_chosen_logps: Tensor,
    policy_rejected_logps: Tensor,
    ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None,
    *,
    beta: float = 0.1,
    epsilon: float = 0.1,
    include_flipped: bool = False,
    posteriors: Tensor | None = None,
    weights: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """LCPO-style DPO: pairs weighted by the EM posterior that their label is correct.

    Cao et al. 2025, "Latent Collective Preference Optimization" (LCPO; later RE-PO, arXiv:2509.24159): labels
    are flipped with rate ``eps``; the E-step gives each pair's correctness posterior ``gamma``
    (:func:`lcpo_posteriors`, treated as a constant), the M-step minimises::

        loss = gamma * (-log sigmoid(beta * delta))                                  (include_flipped=False)
        loss = gamma * (-log sigmoid(beta * delta)) + (1 - gamma) * (-log sigmoid(-beta * delta))   (True)

    and the flip rate is re-estimated as ``eps = mean(1 - gamma)`` (:class:`prefrank.losses.LCPOLoss` does
    this update with a moving average). The first form (posterior as an adaptive per-pair weight) is the one
    the paper describes; the second is the full expected complete-data log-likelihood.

    ``posteriors`` (shape ``[B]``) supplies the E-step result directly (e.g. computed over the whole data set
    before an epoch, or from :mod:`prefrank.robust`); by default they are computed from the current batch.
    Because ``gamma`` is held constant, the gradient is that of the M-step objective, not of the returned
    value as a function of ``gamma``.
    """
    if posteriors is not None:
        if not isinstance(posteriors, Tensor) or tuple(posteriors.shape) != tuple(policy_chosen_logps.shape):
            raise input_error(
                f"posteriors must be a tensor of shape {tuple(policy_chosen_logps.shape)}", column="posteriors"
            )
        gamma = posteriors.detach().to(policy_chosen_logps.dtype)
    else:
        gamma = lcpo_posteriors(
            policy_chosen_logps,
            policy_rejected_logps,
            ref_chosen_logps,
            ref_rejected_logps,
            beta=beta,
            epsilon=epsilon,
        )
    x = beta * _margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    losses = -gamma * F.logsigmoid(x)
    if include_flipped:
        losses = losses - (1.0 - gamma) * F.logsigmoid(-x)
    return reduce(losses, weights, reduction)
