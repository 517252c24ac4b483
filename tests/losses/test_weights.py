"""Per-pair loss weights and empty batches fail loudly (issue 16): never a NaN, -inf or -1e38 loss."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import prefrank.losses as L  # noqa: E402
from prefrank.exceptions import InputError, ParameterError  # noqa: E402

C = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
R = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
Z = torch.zeros(3, dtype=torch.float64)
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ([1.0, -1.0, 0.0], "finite and >= 0"),
        ([1.0, -1.0, 1.0], "finite and >= 0"),
        ([0.0, 0.0, 0.0], "positive, finite sum"),
        ([NAN, 1.0, 1.0], "finite and >= 0"),
        ([INF, 1.0, 1.0], "positive, finite sum"),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bad_weights_are_a_parameter_error(weights: list[float], match: str, reduction: str) -> None:
    with pytest.raises(ParameterError, match=match) as e:
        L.dpo_loss(C, R, Z, Z, weights=torch.tensor(weights, dtype=torch.float64), reduction=reduction)
    assert e.value.param == "weights"


def test_bad_weights_in_k_way_and_module_losses() -> None:
    scores = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(ParameterError):
        L.infonca_loss(scores, None, scores, weights=torch.tensor([1.0, -2.0, 1.0], dtype=torch.float64))
    with pytest.raises(ParameterError):
        L.DPOLoss()(C, R, Z, Z, weights=torch.zeros(3, dtype=torch.float64))


def test_good_weights_give_the_weighted_mean() -> None:
    w = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    per = L.dpo_loss(C, R, Z, Z, reduction="none")
    assert torch.allclose(L.dpo_loss(C, R, Z, Z, weights=w), (per * w).sum() / 3.0)
    # Half-precision weights whose sum overflows float16 still give a finite mean.
    h = torch.full((3,), 6e4, dtype=torch.float16)
    out = L.dpo_loss(C.half(), R.half(), Z.half(), Z.half(), weights=h)
    assert torch.isfinite(out) and abs(float(out) - float(per.mean())) < 1e-2


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_empty_batch_is_an_input_error(reduction: str) -> None:
    e0 = torch.zeros(0, dtype=torch.float64)
    with pytest.raises(InputError, match="empty batch"):
        L.dpo_loss(e0, e0, e0, e0, reduction=reduction)


def test_fused_loss_checks_weights_and_empty_batch() -> None:
    hid = torch.randn(6, 5, 4, dtype=torch.float64)
    w = torch.randn(11, 4, dtype=torch.float64)
    labels = torch.randint(0, 11, (6, 5))
    with pytest.raises(ParameterError, match="finite and >= 0") as e:
        L.fused_linear_preference_loss(hid, w, labels, L.dpo_loss, weights=torch.tensor([1.0, NAN, 1.0]))
    assert e.value.param == "weights"
    with pytest.raises(InputError, match="empty batch"):
        L.fused_linear_preference_loss(hid[:0], w, labels[:0], L.dpo_loss)
