"""End-to-end: tiny causal transformer, synthetic BTL preferences ranked and cleaned with prefrank, DPO and
robust DPO; held-out preference accuracy well above chance (examples/train_preferences.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pandas")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_preferences.py"


@pytest.fixture(scope="module")
def ex():
    spec = importlib.util.spec_from_file_location("train_preferences", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["train_preferences"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def task_and_cleaned(ex):
    task = ex.make_task(seed=0, flip=0.25)
    return task, ex.rank_and_clean(task)


def test_prefrank_ranking_recovers_utilities_and_flags_flipped_pairs(ex, task_and_cleaned) -> None:
    task, cleaned = task_and_cleaned
    scores = cleaned.scores
    items = np.array([int(k[1:]) for k in scores.index])
    rho = np.corrcoef(np.argsort(np.argsort(scores.to_numpy())), np.argsort(np.argsort(task.utility[items])))[0, 1]
    assert rho > 0.6  # BT scores order the training responses like the hidden utilities (about 0.77)
    # cleaning drops pairs that are much more often truly flipped than the base rate
    assert cleaned.dropped_flipped > 1.4 * task.flipped.mean()
    assert 0.15 < cleaned.flip_rate < 0.5
    assert np.all((cleaned.weights >= 0.5) & (cleaned.weights <= 1.0))


@pytest.mark.torch
@pytest.mark.parametrize("variant", ["dpo_clean", "robust"])
def test_training_lifts_heldout_preference_accuracy(ex, task_and_cleaned, variant) -> None:
    torch.set_num_threads(1)
    task, cleaned = task_and_cleaned
    res = ex.train(task, variant, cleaned=cleaned, steps=100, seed=0)
    assert res["heldout_accuracy_before"] == pytest.approx(0.5)  # policy == reference: all ties
    assert res["heldout_accuracy"] > 0.75, res
    assert np.isfinite(res["final_loss"])
