"""The documented path from prefrank.robust to prefrank.losses: curated pairs, per-pair weights, epsilon."""

from __future__ import annotations

import numpy as np
import prefrank as pr
import pytest
from prefrank.robust import curate

torch = pytest.importorskip("torch")
L = pytest.importorskip("prefrank.losses")


def synthetic_scores(seed: int = 0, prompts: int = 200, responses: int = 4) -> np.ndarray:
    """Scores from three judges of known quality: the third flips a third of its preferences."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0, 1, (prompts, responses))
    scores = np.repeat(quality[:, :, None], 3, axis=2) + rng.normal(0, 0.1, (prompts, responses, 3))
    flip = rng.random((prompts, responses)) < 0.33
    scores[:, :, 2] = np.where(flip, -scores[:, :, 2], scores[:, :, 2])
    return scores


def test_curated_pairs_feed_weighted_and_robust_dpo():
    cur = curate(synthetic_scores())
    assert len(cur) > 0 and 0.0 <= cur.epsilon < 0.5
    # Responses are per-prompt indices; build per-pair log-probs for them.
    gen = torch.Generator().manual_seed(0)
    logp = torch.randn(len(cur.prompt), 8, generator=gen, dtype=torch.float64)
    prompt = torch.as_tensor(cur.prompt.astype(np.int64))
    chosen = torch.as_tensor(cur.chosen.astype(np.int64))
    rejected = torch.as_tensor(cur.rejected.astype(np.int64))
    pc, pr_ = logp[prompt, chosen], logp[prompt, rejected]
    rc, rr = torch.zeros_like(pc), torch.zeros_like(pr_)
    w = torch.as_tensor(cur.weight, dtype=torch.float64)
    weighted = L.dpo_loss(pc, pr_, rc, rr, beta=0.1, weights=w)
    per_pair = L.dpo_loss(pc, pr_, rc, rr, beta=0.1, reduction="none")
    # The weighted mean is sum(w * l) / sum(w).
    assert weighted.item() == pytest.approx((w * per_pair).sum().item() / w.sum().item(), rel=1e-12)
    robust = L.robust_dpo_loss(pc, pr_, rc, rr, beta=0.1, epsilon=cur.epsilon)
    assert torch.isfinite(robust) and torch.isfinite(weighted)


def test_label_noise_posteriors_weight_the_loss(data_dir):
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(data_dir / "llmfao-crowd.csv")
    df = df[df.winner != "tie"]
    noise = pr.label_noise(
        df, a="left", b="right", outcome="winner", outcomes={"left": "a", "right": "b"}, judge="worker"
    )
    w = noise.weights()
    assert w.shape == (len(df),) and ((w >= 0) & (w <= 1)).all()
    assert 0.0 < noise.epsilon < 0.5
    n = len(df)
    gen = torch.Generator().manual_seed(1)
    pc, pr_ = torch.randn(n, generator=gen, dtype=torch.float64), torch.randn(n, generator=gen, dtype=torch.float64)
    zero = torch.zeros(n, dtype=torch.float64)
    loss = L.dpo_loss(pc, pr_, zero, zero, weights=torch.as_tensor(w, dtype=torch.float64))
    robust = L.robust_dpo_loss(pc, pr_, zero, zero, epsilon=noise.epsilon)
    assert torch.isfinite(loss) and torch.isfinite(robust)
