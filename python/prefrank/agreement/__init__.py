"""Agreement and disagreement statistics in bulk: Krippendorff's alpha, the kappas, judge agreement,
item and model disagreement, soft-label scores."""

from __future__ import annotations

from prefrank.agreement.alpha import coincidence, krippendorff_alpha
from prefrank.agreement.disagreement import item_disagreement, model_disagreement, soft_label_scores
from prefrank.agreement.judges import judge_agreement
from prefrank.agreement.kappa import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac,
    percent_agreement,
    rater_agreement,
    scott_pi,
)
from prefrank.agreement.results import (
    AgreementResult,
    AlphaResult,
    CoincidenceMatrix,
    ItemDisagreement,
    JudgeAgreement,
    ModelDisagreement,
    RaterMatrix,
    SoftLabelScores,
)
from prefrank.data.ratings import MISSING

__all__ = [
    "MISSING",
    "AgreementResult",
    "AlphaResult",
    "CoincidenceMatrix",
    "ItemDisagreement",
    "JudgeAgreement",
    "ModelDisagreement",
    "RaterMatrix",
    "SoftLabelScores",
    "brennan_prediger",
    "cohen_kappa",
    "coincidence",
    "fleiss_kappa",
    "gwet_ac",
    "item_disagreement",
    "judge_agreement",
    "krippendorff_alpha",
    "model_disagreement",
    "percent_agreement",
    "rater_agreement",
    "scott_pi",
    "soft_label_scores",
]
