"""Compute the LSR / ILSR-on-rankings golden values from choix once (not run by the test suite).

    python tests/golden/make_spectral_rankings_golden.py   # writes tests/data/spectral_rankings_golden.json

Needs choix and networkx. Three kinds of random data over items 0..n-1, redrawn until the
"ranked above" graph is strongly connected (so the alpha=0 fits exist):
- ``rankings``: full rankings of random subsets -> ``choix.lsr_rankings`` / ``choix.ilsr_rankings``;
- ``top_k``: k of m members ranked, the rest unranked -> choix has no top-k API, so each observation
  is given to ``choix.lsr_top1`` / ``choix.ilsr_top1`` as its k choice stages ``(winner, remaining)``
  (the same Markov chain, stage by stage);
- ``top1``: choice sets ``(winner, losers)`` -> ``choix.lsr_top1`` / ``choix.ilsr_top1``.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "data" / "spectral_rankings_golden.json"
ILSR_KW = {"tol": 1e-13, "max_iter": 100_000}


def _gumbel_order(rng: np.random.Generator, s: np.ndarray, members: np.ndarray) -> list[int]:
    return [int(v) for v in members[np.argsort(-(s[members] + rng.gumbel(size=len(members))))]]


def make_obs(kind: str, seed: int, n: int, rows: int) -> list[list[int]]:
    """Observations as ``[k, members best first (ranked first, then unranked)]``."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    while True:
        out = []
        for _ in range(rows):
            m = int(rng.integers(2, min(n, 6) + 1))
            order = _gumbel_order(rng, s, rng.choice(n, m, replace=False))
            k = {"rankings": m, "top_k": int(rng.integers(1, m)), "top1": 1}[kind]
            out.append([k, order[:k] + sorted(order[k:])])
        if _strongly_connected(n, out):
            return out


def _strongly_connected(n: int, obs: list[list[int]]) -> bool:
    """The "ranked above" graph is strongly connected (the MLE exists without alpha)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((o[s], v) for k, o in obs for s in range(min(k, len(o) - 1)) for v in o[s + 1 :])
    return bool(nx.is_strongly_connected(g))


def top1_stages(obs: list[list[int]]) -> list[tuple[int, list[int]]]:
    return [(o[s], o[s + 1 :]) for k, o in obs for s in range(min(k, len(o) - 1))]


def main() -> None:
    import choix

    cases = []
    for kind, seed, n, rows in [
        ("rankings", 1, 8, 150),
        ("rankings", 2, 12, 60),
        ("top_k", 3, 8, 150),
        ("top_k", 4, 10, 80),
        ("top1", 5, 8, 150),
        ("top1", 6, 10, 80),
    ]:
        obs = make_obs(kind, seed, n, rows)
        for alpha in (0.0, 0.5):
            if kind == "rankings":
                data = [o for _, o in obs]
                lsr = choix.lsr_rankings(n, data, alpha=alpha)
                ilsr = choix.ilsr_rankings(n, data, alpha=alpha, **ILSR_KW)
                call = (
                    f"choix.lsr_rankings(n, rankings, alpha={alpha})"
                    " / choix.ilsr_rankings(..., tol=1e-13, max_iter=100000)"
                )
            else:
                stages = top1_stages(obs)
                lsr = choix.lsr_top1(n, stages, alpha=alpha)
                ilsr = choix.ilsr_top1(n, stages, alpha=alpha, **ILSR_KW)
                call = (
                    f"choix.lsr_top1(n, stages, alpha={alpha}) / choix.ilsr_top1(..., tol=1e-13, max_iter=100000)"
                    " with stages = [(o[s], o[s+1:]) for each observation's ranked stages s]"
                )
            cases.append(
                {
                    "kind": kind,
                    "seed": seed,
                    "n_items": n,
                    "alpha": alpha,
                    "observations": obs,
                    "lsr": lsr.tolist(),
                    "ilsr": ilsr.tolist(),
                    "call": call,
                }
            )
    OUT.write_text(json.dumps({"peers": {"choix": version("choix")}, "cases": cases}) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
