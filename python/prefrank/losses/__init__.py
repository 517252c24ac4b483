"""PyTorch preference losses: sequence log-probs, the DPO family, K-way and listwise losses, a chunked path.

Needs the optional ``torch`` extra (``pip install prefrank[torch]``); ``import prefrank`` never imports torch,
only ``import prefrank.losses`` does.

* :func:`sequence_logps` / :func:`token_logps` / :func:`token_counts`: completion log-probs from logits.
* :func:`chunked_token_logps` / :func:`sequence_logps_from_hidden`: the same from hidden states and the output
  projection without materialising the logits (custom autograd, CPU and CUDA).
* :func:`fused_linear_preference_loss`: hidden states to a pairwise loss with the gradient computed in the
  forward (three matrix products, Liger-style) and a gradient-free forward when no gradient is needed.
* pairwise losses over ``(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)``
  as functions (``dpo_loss``, ...) and ``nn.Module`` classes (``DPOLoss``, ...), all with optional per-pair
  ``weights``; K-way (``infonca_loss``, ``nca_loss``) and listwise (``plackett_luce_dpo_loss``) losses;
  LCPO-style EM weighting (``lcpo_loss``, ``LCPOLoss``).

* :func:`pair_label_probabilities` / :func:`estimate_flip_rate`: per-pair weights and a flip rate from a
  fitted :func:`prefrank.bradley_terry` ranking, for ``weights=`` and ``epsilon=``.

See ``docs/losses.md`` for the formulas, the TRL ``loss_type`` each one matches, and a worked example.
"""

from __future__ import annotations

from prefrank.losses.bridge import estimate_flip_rate, pair_label_probabilities
from prefrank.losses.chunked import chunked_token_logps
from prefrank.losses.functional import (
    apo_down_loss,
    apo_zero_loss,
    bco_pair_loss,
    conservative_dpo_loss,
    cpo_loss,
    discopop_loss,
    dpo_loss,
    exo_pair_loss,
    hinge_loss,
    implicit_rewards,
    infonca_loss,
    ipo_loss,
    lcpo_loss,
    lcpo_posteriors,
    length_normalized_dpo_loss,
    nca_loss,
    nca_pair_loss,
    orpo_loss,
    pairwise_cringe_loss,
    plackett_luce_dpo_loss,
    robust_dpo_loss,
    rpo_loss,
    simpo_loss,
    sppo_hard_loss,
)
from prefrank.losses.fused import fused_linear_preference_loss
from prefrank.losses.logps import sequence_logps, sequence_logps_from_hidden, token_counts, token_logps
from prefrank.losses.modules import (
    APODownLoss,
    APOZeroLoss,
    BCOPairLoss,
    ConservativeDPOLoss,
    CPOLoss,
    DiscoPOPLoss,
    DPOLoss,
    EXOPairLoss,
    HingeLoss,
    InfoNCALoss,
    IPOLoss,
    LCPOLoss,
    LengthNormalizedDPOLoss,
    NCALoss,
    NCAPairLoss,
    ORPOLoss,
    PairwiseCringeLoss,
    PlackettLuceDPOLoss,
    RobustDPOLoss,
    RPOLoss,
    SimPOLoss,
    SPPOHardLoss,
)

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
    "apo_down_loss",
    "apo_zero_loss",
    "bco_pair_loss",
    "chunked_token_logps",
    "conservative_dpo_loss",
    "cpo_loss",
    "discopop_loss",
    "dpo_loss",
    "estimate_flip_rate",
    "exo_pair_loss",
    "fused_linear_preference_loss",
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
    "pair_label_probabilities",
    "pairwise_cringe_loss",
    "plackett_luce_dpo_loss",
    "robust_dpo_loss",
    "rpo_loss",
    "sequence_logps",
    "sequence_logps_from_hidden",
    "simpo_loss",
    "sppo_hard_loss",
    "token_counts",
    "token_logps",
]
