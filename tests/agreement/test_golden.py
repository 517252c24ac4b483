"""Parity with peer libraries through golden values committed in tests/fixtures/agreement_*.json.

Regenerate (needs krippendorff, statsmodels, scikit-learn): ``python tests/agreement/test_golden.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import prefrank.agreement as ag
import pytest

DATA = Path(__file__).resolve().parents[1] / "fixtures"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def _count(name: str, key: str) -> int:
    path = DATA / name
    return len(json.loads(path.read_text())[key]) if path.exists() else 0


def _nan(x):
    return np.array([[np.nan if v is None else v for v in row] for row in x], dtype=float)


@pytest.mark.parametrize("case", range(_count("agreement_krippendorff.json", "cases")))
def test_alpha_matches_krippendorff_package(case: int) -> None:
    c = _load("agreement_krippendorff.json")["cases"][case]
    data = _nan(c["data"])
    for level, want in c["alpha"].items():
        got = ag.krippendorff_alpha(data, metric=level, undefined="nan").value
        assert got == pytest.approx(want, abs=1e-10), (case, level)
    if "value_counts_alpha" in c:
        vc = np.asarray(c["value_counts"], dtype=float)
        for level, want in c["value_counts_alpha"].items():
            got = ag.krippendorff_alpha(value_counts=vc, metric=level, levels=c["value_domain"]).value
            assert got == pytest.approx(want, abs=1e-10), (case, level)


def test_published_example_values() -> None:
    g = _load("agreement_krippendorff.json")["published"]
    data = _nan(g["data"])
    for level, want in g["alpha"].items():
        assert ag.krippendorff_alpha(data, metric=level).value == pytest.approx(want, abs=5e-7)


@pytest.mark.parametrize("case", range(_count("agreement_kappa.json", "fleiss")))
def test_fleiss_matches_statsmodels(case: int) -> None:
    c = _load("agreement_kappa.json")["fleiss"][case]
    table = np.asarray(c["table"], dtype=float)
    assert ag.fleiss_kappa(value_counts=table).value == pytest.approx(c["kappa"], abs=1e-10)


@pytest.mark.parametrize("case", range(_count("agreement_kappa.json", "cohen")))
def test_cohen_matches_sklearn_and_statsmodels(case: int) -> None:
    c = _load("agreement_kappa.json")["cohen"][case]
    y = np.asarray([c["y1"], c["y2"]])
    for w, want in c["sklearn"].items():
        weights = None if w == "none" else w
        assert ag.cohen_kappa(y, weights=weights).value == pytest.approx(want, abs=1e-10), w
    assert ag.cohen_kappa(y).value == pytest.approx(c["statsmodels"], abs=1e-10)
    # Strings code in sorted order; same categories give the same answer.
    ys = np.asarray([[f"c{v}" for v in c["y1"]], [f"c{v}" for v in c["y2"]]], dtype=object)
    assert ag.cohen_kappa(ys, weights="linear").value == pytest.approx(c["sklearn"]["linear"], abs=1e-10)


def _generate() -> None:  # pragma: no cover - needs the peers
    from importlib.metadata import version

    import krippendorff
    import sklearn
    import statsmodels
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

    rng = np.random.default_rng(20261127)
    nan = None
    published = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    levels = ["nominal", "ordinal", "interval", "ratio"]
    cases = []
    for raters, units, k, miss in [(3, 20, 3, 0.2), (5, 40, 5, 0.35), (8, 60, 4, 0.5), (2, 30, 6, 0.1)]:
        truth = rng.integers(1, k + 1, units)
        noise = rng.integers(1, k + 1, (raters, units))
        x = np.where(rng.random((raters, units)) < 0.6, truth, noise).astype(float)
        x[rng.random((raters, units)) < miss] = np.nan
        case = {
            "data": [[None if np.isnan(v) else int(v) for v in row] for row in x],
            "alpha": {lv: krippendorff.alpha(x, level_of_measurement=lv) for lv in levels},
        }
        domain = list(range(1, k + 1))
        vc = np.stack([(x == v).sum(axis=0) for v in domain], axis=1)
        case["value_counts"] = vc.tolist()
        case["value_domain"] = domain
        case["value_counts_alpha"] = {
            lv: krippendorff.alpha(value_counts=vc, value_domain=domain, level_of_measurement=lv) for lv in levels
        }
        cases.append(case)
    kr = {
        "peer": f"krippendorff {version('krippendorff')}",
        "call": "krippendorff.alpha(reliability_data=data (NaN missing), level_of_measurement=level); "
        "value_counts_alpha: krippendorff.alpha(value_counts=vc, value_domain=domain, "
        "level_of_measurement=level)",
        "published": {
            "source": "Krippendorff (2011) Computing Krippendorff's alpha-reliability, 4 observers x 12 units",
            "data": published,
            "alpha": {"nominal": 0.743421, "ordinal": 0.815388, "interval": 0.849107, "ratio": 0.797403},
        },
        "cases": cases,
    }
    (DATA / "agreement_krippendorff.json").write_text(json.dumps(kr, indent=1))

    fleiss = []
    for units, raters, k in [(10, 3, 3), (50, 5, 4), (100, 7, 2), (30, 4, 5)]:
        table = np.stack(
            [
                np.bincount(
                    rng.integers(0, k, raters) * (rng.random() < 0.5) + rng.integers(0, 1, raters),
                    minlength=k,
                )
                for _ in range(units)
            ]
        )
        fleiss.append({"table": table.tolist(), "kappa": float(fleiss_kappa(table, method="fleiss"))})
    cohen = []
    for n, k in [(40, 3), (100, 5), (25, 4)]:
        y1 = rng.integers(0, k, n)
        y2 = np.where(rng.random(n) < 0.6, y1, rng.integers(0, k, n))
        y2[0], y1[1] = k - 1, 0  # both raters use the full range
        y1[2] = k - 1
        tab = np.zeros((k, k))
        for a, b in zip(y1, y2, strict=False):
            tab[a, b] += 1
        cohen.append(
            {
                "y1": y1.tolist(),
                "y2": y2.tolist(),
                "sklearn": {
                    w: float(cohen_kappa_score(y1, y2, weights=None if w == "none" else w))
                    for w in ["none", "linear", "quadratic"]
                },
                "statsmodels": float(cohens_kappa(tab).kappa),
            }
        )
    kp = {
        "peer": f"statsmodels {statsmodels.__version__}, scikit-learn {sklearn.__version__}",
        "call": "statsmodels.stats.inter_rater.fleiss_kappa(table, method='fleiss'); "
        "sklearn.metrics.cohen_kappa_score(y1, y2, weights=w); "
        "statsmodels cohens_kappa(confusion table).kappa",
        "fleiss": fleiss,
        "cohen": cohen,
    }
    (DATA / "agreement_kappa.json").write_text(json.dumps(kp, indent=1))


if __name__ == "__main__":  # pragma: no cover
    _generate()
