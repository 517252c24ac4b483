"""Bradley-Terry with covariates (style control): strengths adjusted for per-comparison features."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from prefrank import _core
from prefrank._options import check_choice, keywords_of
from prefrank.data.coding import label_index
from prefrank.data.comparison_rows import comparison_rows
from prefrank.data.comparisons import AlignedColumns, Comparisons, as_comparisons, comparisons, games_and_wins
from prefrank.exceptions import ConvergenceWarning, NotIdentifiableError, input_error, parameter_error, rephrased
from prefrank.io import _source, _to_numpy
from prefrank.ranking._common import _check_common, _check_fit, _not_identifiable_message
from prefrank.ranking.results import ContextualRanking, Ranking
from prefrank.stream import wants_stream

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["contextual_bradley_terry"]


def _covariate_matrix(src_data: Any, covariates: Any, n_rows: int) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(covariates, Mapping):
        names = tuple(str(k) for k in covariates)
        cols = [_to_numpy(v) for v in covariates.values()]
    elif (
        isinstance(covariates, np.ndarray)
        or (isinstance(covariates, (list, tuple)) and covariates and not isinstance(covariates[0], str))
        or (hasattr(covariates, "to_numpy") and not isinstance(covariates, (list, tuple)))
    ):
        x = np.asarray(covariates.to_numpy() if hasattr(covariates, "to_numpy") else covariates)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise input_error(f"covariates must be 2-D (rows x covariates), got shape {x.shape}")
        cols_attr = getattr(covariates, "columns", None)
        names = tuple(str(c) for c in cols_attr) if cols_attr is not None else tuple(f"x{k}" for k in range(x.shape[1]))
        cols = [x[:, k] for k in range(x.shape[1])]
    else:
        if isinstance(covariates, str):
            covariates = [covariates]
        src = _source(src_data)
        names = tuple(str(c) for c in covariates)
        cols = [_to_numpy(src.get(c, "covariates")) for c in covariates]
    mats = []
    for name, col in zip(names, cols, strict=False):
        if len(col) != n_rows:
            raise input_error(
                f"length mismatch: the comparisons have {n_rows} rows but covariate {name!r} has {len(col)}",
                column=name,
            )
        try:
            mats.append(np.asarray(col, dtype=np.float64))
        except (TypeError, ValueError):
            raise input_error(f"covariate {name!r} is not numeric", column=name) from None
    x = np.ascontiguousarray(np.column_stack(mats) if mats else np.zeros((n_rows, 0)), dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise input_error(
            f"covariate {names[c]!r} value {x[r, c]} is not a finite number", row=r, column=names[c], value=x[r, c]
        )
    return x, names


@keywords_of(comparisons, AlignedColumns)
def contextual_bradley_terry(
    data: Any = None,
    *,
    covariates: Any = None,
    batch_rows: int | None = None,
    ties: str = "half",
    alpha: float = 0.0,
    alpha_beta: float | None = None,
    scale: str = "elo",
    offset: float = 1000.0,
    anchor: tuple[Any, float] | None = None,
    max_iter: int = 200,
    tol: float = 1e-9,
    **columns: Unpack[AlignedColumns],
) -> ContextualRanking:
    """Bradley-Terry with per-comparison covariates (Chatbot Arena's "style control").

    ``P(a beats b) = sigma(theta_a - theta_b + beta . x)`` where ``x`` is the row's covariate
    *difference* (e.g. answer length of a minus that of b). ``covariates`` is a list of column names
    of ``data``, a 2-D array / DataFrame (rows x covariates, aligned with the comparisons), or a dict
    name -> column. ``ties``: ``"half"`` (a tie is a soft label 0.5; default) or ``"drop"``.
    ``alpha`` is the L2 penalty on the item strengths and ``alpha_beta`` (default: ``alpha``) on
    the coefficients; ``alpha = alpha_beta = 1/C`` reproduces scikit-learn's
    ``LogisticRegression(C=C, fit_intercept=False)`` on the design ``[onehot(a) - onehot(b), x]``.
    Self-comparisons are errors (rows must stay aligned with the covariates). The columns ``a``,
    ``b``, ``outcome``, ``weight``, ``position`` (for ``left`` / ``right`` outcomes) and ``outcomes``
    are those of :func:`prefrank.comparisons`; ``scale`` / ``offset`` / ``anchor`` (the score scale)
    as in :func:`prefrank.bradley_terry`; ``max_iter`` and ``tol`` bound the fit's iterations.

    A directory or glob of files (or a file with ``batch_rows=``) is read in batches whose coded
    rows and covariates are concatenated (no text held: 17 bytes per row, + 8 with a weight, + 8
    per covariate; see :func:`prefrank.stream.comparison_rows`); ``covariates`` must then name
    columns, and the result equals that of the concatenated table.
    """

    _check_fit(scale, alpha, offset=offset, anchor=anchor, max_iter=max_iter, tol=tol, batch_rows=batch_rows)
    alpha_beta = alpha if alpha_beta is None else alpha_beta
    _check_common(scale, alpha_beta, "alpha_beta")
    check_choice("ties", ties, ("half", "drop"))
    if covariates is None:
        raise parameter_error("covariates", "missing covariates=: pass column names, a 2-D array or a dict of columns")
    if wants_stream(data, batch_rows):
        cov = [covariates] if isinstance(covariates, str) else covariates
        if not (isinstance(cov, (list, tuple)) and all(isinstance(c, str) for c in cov)):
            raise parameter_error(
                "covariates", "covariates= must name columns when the data is a file, directory or glob"
            )
        if len(set(cov)) < len(cov):
            raise parameter_error("covariates", f"covariates={list(cov)!r}: a column is named more than once")
        comps, x = comparison_rows(data, batch_rows=batch_rows, extra={f"covariate {c!r}": c for c in cov}, **columns)
        data, covariates = None, {c: x[:, k] for k, c in enumerate(cov)}
    else:
        comps = as_comparisons(data, **columns)
    x, names = _covariate_matrix(None if isinstance(data, Comparisons) else data, covariates, len(comps))
    if anchor is not None:
        label_index(comps.items, anchor[0])
    counts = comps.pair_counts()
    try:
        fit = _core.contextual_bt_fit(
            comps,
            x,
            ties,
            float(alpha),
            float(alpha_beta),
            int(max_iter),
            float(tol),
        )
    except NotIdentifiableError as e:
        raise rephrased(e, _not_identifiable_message(counts, ties, comps.items)) from None
    if not fit.converged:
        warnings.warn(
            f"contextual Bradley-Terry did not converge in {fit.iterations} iterations "
            "(collinear covariates? pass alpha_beta > 0)",
            ConvergenceWarning,
            stacklevel=2,
        )
    games, wins = games_and_wins(counts, comps.n_items)
    ranking = Ranking.from_fit(
        "contextual_bradley_terry",
        comps.items,
        fit,
        scale,
        offset,
        anchor,
        ties=ties,
        games=games,
        wins=wins,
        counts=counts,
    )
    return ContextualRanking(ranking=ranking, covariates=names, coef=fit.beta)
