"""``nn.Module`` wrappers of :mod:`prefrank.losses.functional`.

Each module stores its hyper-parameters (keyword arguments of the matching function, with the same defaults)
and its ``forward`` takes the same positional tensors plus per-call keyword tensors (``weights``, lengths,
...). See the matching function for the paper and formula.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from prefrank.exceptions import parameter_error
from prefrank.losses import functional as LF
from prefrank.losses._common import check_reduction

__all__ = [
    "APODownLoss",
    "APOZeroLoss",
    "BCOPairLoss",
    "CPOLoss",
    "ConservativeDPOLoss",
    "DPOLoss",
    "DiscoPOPLoss",
    "EXOPairLoss",
    "HingeLoss",
    "IPOLoss",
    "InfoNCALoss",
    "LCPOLoss",
    "LengthNormalizedDPOLoss",
    "NCALoss",
    "NCAPairLoss",
    "ORPOLoss",
    "PairwiseCringeLoss",
    "PlackettLuceDPOLoss",
    "RPOLoss",
    "RobustDPOLoss",
    "SPPOHardLoss",
    "SimPOLoss",
]


class _PreferenceLoss(nn.Module):
    """Base: holds hyper-parameters and forwards to a functional loss."""

    _fn: ClassVar[Any]
    _hparams: ClassVar[tuple[str, ...]] = ("beta",)

    def __init__(self, *, reduction: str = "mean", **hparams: Any) -> None:
        super().__init__()
        check_reduction(reduction)
        unknown = set(hparams) - set(self._hparams)
        if unknown:
            raise parameter_error(
                sorted(unknown)[0],
                f"{type(self).__name__} got unknown option(s) {sorted(unknown)}; known: {list(self._hparams)}",
            )
        self.reduction = reduction
        self.hparams = dict(hparams)
        # validate the hyper-parameters once, eagerly, on a dummy batch
        self._validate()

    def _validate(self) -> None:
        z = torch.zeros(2, dtype=torch.float64)
        self(z, z - 1.0, z, z)

    def extra_repr(self) -> str:
        items = [f"{k}={v!r}" for k, v in self.hparams.items()]
        return ", ".join([*items, f"reduction={self.reduction!r}"])

    def forward(self, *tensors: Tensor | None, **kwargs: Any) -> Tensor:
        out: Tensor = type(self)._fn(*tensors, **self.hparams, **kwargs, reduction=self.reduction)
        return out


def _module(fn: Any, hparams: tuple[str, ...], validate: str = "pair") -> Any:
    def deco(cls: type[_PreferenceLoss]) -> type[_PreferenceLoss]:
        cls._fn = staticmethod(fn)
        cls._hparams = hparams
        if validate == "ref_free":

            def _v(self: _PreferenceLoss) -> None:
                z = torch.zeros(2, dtype=torch.float64)
                self(z - 1.0, z - 2.0)

            cls._validate = _v  # type: ignore[method-assign]
        elif validate == "kway":

            def _v(self: _PreferenceLoss) -> None:
                z = torch.zeros(1, 3, dtype=torch.float64)
                if "alpha" in self._hparams and cls.__name__ != "PlackettLuceDPOLoss":
                    self(z, z, z)
                else:
                    self(z, z)

            cls._validate = _v  # type: ignore[method-assign]
        elif validate == "lengths":

            def _v(self: _PreferenceLoss) -> None:
                z = torch.zeros(2, dtype=torch.float64)
                self(z, z - 1.0, z, z, chosen_lengths=z + 1, rejected_lengths=z + 1)

            cls._validate = _v  # type: ignore[method-assign]
        cls.__doc__ = (
            cls.__doc__ or ""
        ) + f"\n\n    Functional form and formula: :func:`prefrank.losses.{fn.__name__}`."
        return cls

    return deco


@_module(LF.dpo_loss, ("beta",))
class DPOLoss(_PreferenceLoss):
    """DPO (sigmoid), Rafailov et al. 2023: ``-log sigmoid(beta * delta)``. Default ``beta=0.1``."""


@_module(LF.conservative_dpo_loss, ("beta", "label_smoothing"))
class ConservativeDPOLoss(_PreferenceLoss):
    """Conservative DPO (label smoothing), Mitchell 2023. Defaults ``beta=0.1, label_smoothing=0.1``."""


@_module(LF.robust_dpo_loss, ("beta", "epsilon"))
class RobustDPOLoss(_PreferenceLoss):
    """Robust DPO with flip rate ``epsilon``, Chowdhury et al. 2024. Defaults ``beta=0.1, epsilon=0.1``."""


@_module(LF.ipo_loss, ("beta",))
class IPOLoss(_PreferenceLoss):
    """IPO, Azar et al. 2023: ``(delta - 1/(2 beta))**2``; lengths per call for the per-token form."""


@_module(LF.hinge_loss, ("beta",))
class HingeLoss(_PreferenceLoss):
    """Hinge (SLiC / RSO): ``max(0, 1 - beta * delta)``."""


@_module(LF.length_normalized_dpo_loss, ("beta",), validate="lengths")
class LengthNormalizedDPOLoss(_PreferenceLoss):
    """Length-normalised DPO; pass ``chosen_lengths=`` and ``rejected_lengths=`` to ``forward``."""


@_module(LF.exo_pair_loss, ("beta", "epsilon"))
class EXOPairLoss(_PreferenceLoss):
    """EXO (pairwise), Ji et al. 2024. Defaults ``beta=0.1, epsilon=1e-3``."""


@_module(LF.nca_pair_loss, ("beta",))
class NCAPairLoss(_PreferenceLoss):
    """NCA (pairwise), Chen et al. 2024."""


@_module(LF.sppo_hard_loss, ("beta",))
class SPPOHardLoss(_PreferenceLoss):
    """SPPO with hard labels, Wu et al. 2024."""


@_module(LF.apo_zero_loss, ("beta",))
class APOZeroLoss(_PreferenceLoss):
    """APO-zero, D'Oosterlinck et al. 2024."""


@_module(LF.apo_down_loss, ("beta",))
class APODownLoss(_PreferenceLoss):
    """APO-down, D'Oosterlinck et al. 2024."""


@_module(LF.discopop_loss, ("beta", "tau"))
class DiscoPOPLoss(_PreferenceLoss):
    """DiscoPOP / LRML, Lu et al. 2024 (overflow-free form). Defaults ``beta=0.1, tau=0.05``."""


@_module(LF.simpo_loss, ("beta", "gamma"), validate="ref_free")
class SimPOLoss(_PreferenceLoss):
    """SimPO, Meng et al. 2024 (reference-free). Defaults ``beta=2.0, gamma=1.0``."""


@_module(LF.cpo_loss, ("beta", "alpha"), validate="ref_free")
class CPOLoss(_PreferenceLoss):
    """CPO, Xu et al. 2024 (reference-free + NLL). Defaults ``beta=0.1, alpha=1.0``."""


@_module(LF.orpo_loss, ("beta", "max_logp"), validate="ref_free")
class ORPOLoss(_PreferenceLoss):
    """ORPO, Hong et al. 2024 (reference-free, odds ratio + NLL). Default ``beta=0.1`` (lambda)."""


@_module(LF.rpo_loss, ("beta", "alpha"))
class RPOLoss(_PreferenceLoss):
    """DPO + NLL (RPO / Iterative Reasoning PO), Pang et al. 2024. Defaults ``beta=0.1, alpha=1.0``."""


@_module(LF.pairwise_cringe_loss, ("margin", "tau", "alpha"), validate="ref_free")
class PairwiseCringeLoss(_PreferenceLoss):
    """Pairwise Cringe (sequence-level form), Xu et al. 2023."""


@_module(LF.infonca_loss, ("beta", "alpha"), validate="kway")
class InfoNCALoss(_PreferenceLoss):
    """K-way InfoNCA, Chen et al. 2024: ``forward(policy_logps, ref_logps, rewards)`` with ``[B, K]``
    tensors."""


@_module(LF.nca_loss, ("beta", "alpha"), validate="kway")
class NCALoss(_PreferenceLoss):
    """K-way NCA, Chen et al. 2024: ``forward(policy_logps, ref_logps, rewards)`` with ``[B, K]`` tensors."""


@_module(LF.plackett_luce_dpo_loss, ("beta", "num_ranked"), validate="kway")
class PlackettLuceDPOLoss(_PreferenceLoss):
    """Listwise Plackett-Luce DPO: ``forward(policy_logps, ref_logps)``, columns ranked best first."""


class BCOPairLoss(_PreferenceLoss):
    """BCO (pairwise), Jung et al. 2024, with an optional running-mean reward shift.

    With ``track_delta=True`` (default) the shift ``delta`` is the exponential moving average (``momentum``)
    of the mean implicit reward of chosen and rejected completions seen in training mode, as TRL does; with
    ``track_delta=False`` it is the fixed ``delta`` option.

    Functional form and formula: :func:`prefrank.losses.bco_pair_loss`.
    """

    _fn = staticmethod(LF.bco_pair_loss)
    _hparams = ("beta", "delta")
    running_delta: Tensor

    def __init__(
        self,
        *,
        beta: float = 0.1,
        delta: float = 0.0,
        track_delta: bool = True,
        momentum: float = 0.1,
        reduction: str = "mean",
    ) -> None:
        if not 0.0 < momentum <= 1.0:
            raise parameter_error("momentum", f"momentum={momentum!r} must be in (0, 1]")
        self.track_delta = track_delta
        self.momentum = momentum
        super().__init__(beta=beta, delta=delta, reduction=reduction)
        self.register_buffer("running_delta", torch.tensor(float(delta), dtype=torch.float64))

    def _validate(self) -> None:
        z = torch.zeros(2, dtype=torch.float64)
        LF.bco_pair_loss(z, z, z, z, **self.hparams)

    def forward(self, *tensors: Tensor | None, **kwargs: Any) -> Tensor:
        hp = dict(self.hparams)
        if self.track_delta:
            if self.training:
                pc, pr, rc, rr = [*tensors, None, None, None, None][:4]
                assert pc is not None and pr is not None
                rw_c = LF.implicit_rewards(pc, rc, beta=hp["beta"])
                rw_r = LF.implicit_rewards(pr, rr, beta=hp["beta"])
                batch = torch.cat([rw_c, rw_r]).mean().to(torch.float64)
                self.running_delta.mul_(1.0 - self.momentum).add_(self.momentum * batch.to(self.running_delta))
            hp["delta"] = float(self.running_delta)
        fn: Any = LF.bco_pair_loss
        out: Tensor = fn(*tensors, **hp, **kwargs, reduction=self.reduction)
        return out


class LCPOLoss(_PreferenceLoss):
    """LCPO-style EM weighting of pairs by estimated label correctness (Cao et al. 2025).

    Holds the flip rate ``epsilon`` as a buffer. Each training-mode call computes the E-step posteriors
    ``gamma`` with the current ``epsilon``, returns the M-step loss, and updates
    ``epsilon <- (1 - momentum) * epsilon + momentum * mean(1 - gamma)`` (clamped to ``[min_epsilon,
    max_epsilon]``) when ``update_epsilon=True``. Start ``epsilon`` from the flip rate estimated by
    :mod:`prefrank.robust` where available.

    Functional form and formula: :func:`prefrank.losses.lcpo_loss`.
    """

    _fn = staticmethod(LF.lcpo_loss)
    _hparams = ("beta", "epsilon", "include_flipped")
    epsilon: Tensor

    def __init__(
        self,
        *,
        beta: float = 0.1,
        epsilon: float = 0.1,
        include_flipped: bool = False,
        update_epsilon: bool = True,
        momentum: float = 0.1,
        min_epsilon: float = 1e-4,
        max_epsilon: float = 0.49,
        reduction: str = "mean",
    ) -> None:
        if not 0.0 < min_epsilon <= epsilon <= max_epsilon < 1.0:
            raise parameter_error(
                "epsilon",
                f"need 0 < min_epsilon <= epsilon <= max_epsilon < 1, got {min_epsilon}, {epsilon}, {max_epsilon}",
            )
        if not 0.0 < momentum <= 1.0:
            raise parameter_error("momentum", f"momentum={momentum!r} must be in (0, 1]")
        self.update_epsilon = update_epsilon
        self.momentum = momentum
        self.bounds = (min_epsilon, max_epsilon)
        super().__init__(beta=beta, epsilon=epsilon, include_flipped=include_flipped, reduction=reduction)
        self.register_buffer("epsilon", torch.tensor(float(epsilon), dtype=torch.float64))

    def _validate(self) -> None:
        z = torch.zeros(2, dtype=torch.float64)
        LF.lcpo_loss(z, z, z, z, **self.hparams)

    def forward(self, *tensors: Tensor | None, **kwargs: Any) -> Tensor:
        hp = dict(self.hparams)
        eps = float(self.epsilon)
        hp["epsilon"] = eps
        fn: Any = LF.lcpo_loss
        out: Tensor = fn(*tensors, **hp, **kwargs, reduction=self.reduction)
        if self.training and self.update_epsilon:
            post: Any = LF.lcpo_posteriors
            gamma = post(*tensors, beta=hp["beta"], epsilon=eps)
            w = kwargs.get("weights")
            miss = (1.0 - gamma) if w is None else (1.0 - gamma) * w / w.sum()
            est = float(miss.mean() if w is None else miss.sum())
            new = (1.0 - self.momentum) * eps + self.momentum * est
            self.epsilon.fill_(min(max(new, self.bounds[0]), self.bounds[1]))
        return out
