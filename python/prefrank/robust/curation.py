"""Preference-data curation: cleaned pairs from several judges' scores or verdicts per prompt."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from prefrank import _core
from prefrank._options import check_batch_rows, check_choice, check_max_iter, check_real, check_tol
from prefrank.data.comparison_rows import comparison_rows
from prefrank.data.comparisons import comparisons
from prefrank.data.rankings import ranking_rows
from prefrank.data.scores import pivot_scores
from prefrank.exceptions import PrefrankError, input_error, parameter_error, reworded
from prefrank.robust._common import _warn
from prefrank.robust.results import Curation
from prefrank.stream import wants_stream

__all__ = ["curate"]


def curate(
    data: Any,
    *,
    prompt: Any = None,
    response: Any = None,
    judge: Any = None,
    score: Any = None,
    a: Any = None,
    b: Any = None,
    outcome: Any = None,
    position: Any = None,
    outcomes: Any = None,
    judges: Any = None,
    pairs: str = "all",
    min_weight: float = 0.5,
    alpha: float = 1.0,
    eps_init: float = 0.1,
    max_iter: int = 100,
    tol: float = 1e-4,
    batch_rows: int | None = None,
) -> Curation:
    """Clean preference pairs for many prompts at once (2-255 responses each, several judges).

    ``data`` is either a ``prompts x responses x judges`` array of scores (NaN = not scored; ragged
    prompts are NaN-padded) or a long table with columns ``prompt``, ``response``, ``judge``, ``score``
    (names given by those arguments). A judge prefers the response it scores higher; equal scores carry
    no information. Per prompt, responses have Bradley-Terry strengths (Gaussian prior ``alpha``); each
    pair has one latent true preference that every judge reports flipped with its own probability,
    shared across prompts (Dawid-Skene with a BT prior), fitted by one parallel EM over all prompts.
    ``pairs="all"`` emits every scored pair, ``"best_worst"`` one pair per prompt; pairs with
    ``weight < min_weight`` are dropped.

    Pairwise verdicts instead of scores: a long table with one row per judge per judged pair, columns
    ``prompt``, ``a``, ``b``, ``outcome`` and optionally ``judge`` (without it, one judge) and
    ``position``, decoded as by :func:`prefrank.comparisons` (``"a"`` / ``"b"`` / ``"tie"``,
    ``left`` / ``right`` with ``position=``, 1 / 0 / 0.5, booleans, ``outcomes={...}``). A verdict is a
    vote for ``a`` when the decoded probability that ``a`` won is above 1/2, for ``b`` when below; ties
    (1/2) carry no information, like equal scores. Responses are labels within a prompt (the same
    label under two prompts is two responses). A judge may judge the same pair several times: each
    judgment is a separate vote, flipped independently with the judge's rate. The verdicts implied by
    a score table give the same result as the scores.

    A long table given as a directory or glob of files (or a file with ``batch_rows=``) is read in
    batches whose rows are kept coded (no text; a prompt may span batches and files): 12 bytes per
    score row + 8 for the score, or 17 bytes per verdict row + 8 per prompt/judge code (see
    :func:`prefrank.stream.comparison_rows`); the result equals that of the concatenated table.
    """

    check_choice("pairs", pairs, ("all", "best_worst"))
    check_real("min_weight", min_weight, min=0.0, max=1.0)
    check_real("alpha", alpha, min=0.0, min_open=True)
    check_real("eps_init", eps_init, min=0.0, max=0.5, min_open=True, max_open=True)
    check_max_iter(max_iter)
    check_tol(tol)
    check_batch_rows(batch_rows)
    stream = wants_stream(data, batch_rows)
    if any(v is not None for v in (a, b, outcome, position, outcomes)):
        if stream and not any(v is None for v in (prompt, a, b, outcome)):
            cols = dict(a=a, b=b, outcome=outcome, group=prompt, judge=judge, position=position, outcomes=outcomes)
            try:
                data = comparison_rows(data, batch_rows=batch_rows, **cols)[0]
            except PrefrankError as e:
                raise reworded(e, "(for group=)", "(for prompt=)") from None
        return _curate_pairs(
            data,
            prompt=prompt,
            a=a,
            b=b,
            judge=judge,
            outcome=outcome,
            position=position,
            outcomes=outcomes,
            extra={"response": response, "score": score, "judges": judges},
            core_args=(float(alpha), float(eps_init), int(max_iter), float(tol), pairs, float(min_weight)),
        )
    long_form = any(v is not None for v in (prompt, response, judge, score))
    if long_form:
        if any(v is None for v in (prompt, response, judge, score)):
            raise parameter_error(
                next(
                    k
                    for k, v in (("prompt", prompt), ("response", response), ("judge", judge), ("score", score))
                    if v is None
                ),
                "long-form input needs prompt=, response=, judge= and score=",
            )
        if stream:
            labels = {"prompt": prompt, "response": response, "judge": judge}
            data = ranking_rows(data, batch_rows=batch_rows, labels=labels, values={"score": score})
        tensor, prompt_labels, resp_labels, judge_labels = pivot_scores(data, prompt, response, judge, score)
    else:
        tensor = np.asarray(data)
        if tensor.ndim != 3:
            raise input_error(
                f"scores must be a 3-D array (prompts x responses x judges), got shape {tensor.shape}; "
                "or pass a long table with prompt=, response=, judge=, score="
            )
        if tensor.dtype.kind not in "biuf":
            raise input_error(f"scores must be numeric, got dtype {tensor.dtype}")
        tensor = np.ascontiguousarray(tensor, dtype=np.float64)
        judge_labels = np.arange(tensor.shape[2]) if judges is None else np.asarray(judges, dtype=object)
        if len(judge_labels) != tensor.shape[2]:
            raise parameter_error(
                "judges", f"judges has {len(judge_labels)} labels but scores has {tensor.shape[2]} judges"
            )
    out = _core.robust_curate(
        tensor, float(alpha), float(eps_init), int(max_iter), float(tol), pairs, float(min_weight)
    )
    _warn(bool(out.converged), "batched curation EM", int(out.iterations))
    p, c, r = out.prompt, out.chosen, out.rejected
    if long_form:
        c, r = resp_labels[p, c], resp_labels[p, r]
        p = prompt_labels[p]
    return Curation(
        prompt=p,
        chosen=c,
        rejected=r,
        weight=out.weight,
        epsilon=float(out.epsilon),
        label_epsilon=float(out.label_epsilon),
        judge_epsilon=out.judge_epsilon,
        judge_votes=out.judge_votes,
        judges=np.asarray(judge_labels),
        theta=out.theta,
        iterations=int(out.iterations),
        converged=bool(out.converged),
    )


def _curate_pairs(
    data: Any,
    *,
    prompt: Any,
    a: Any,
    b: Any,
    judge: Any,
    outcome: Any,
    position: Any,
    outcomes: Any,
    extra: dict[str, Any],
    core_args: tuple[float, float, int, float, str, float],
) -> Curation:
    """:func:`curate` on pairwise verdicts (one row per judge per judged pair)."""

    given = [k for k, v in extra.items() if v is not None]
    if given:
        raise parameter_error(
            given[0],
            f"pairwise verdicts (a=, b=, outcome=) cannot be combined with {', '.join(k + '=' for k in given)}: "
            "pass either scores (response=, score=) or verdicts",
        )
    if prompt is None:
        raise parameter_error("prompt", "pairwise verdicts need prompt=: the column naming each verdict's prompt")
    for role, v in (("a", a), ("b", b), ("outcome", outcome)):
        if v is None:
            raise parameter_error(
                role, f"pairwise verdicts need {role}=: name the column (or pass the values) for {role}"
            )
    try:
        cmp = comparisons(
            data, a=a, b=b, outcome=outcome, group=prompt, judge=judge, position=position, outcomes=outcomes
        )
    except PrefrankError as e:
        # comparisons() calls the prompt column its group, and curate has no drop_self=.
        e = reworded(e, "(for group=)", "(for prompt=)")
        raise reworded(e, "pass drop_self=True to drop such rows", "drop such rows first") from None
    vote = np.zeros(len(cmp.p), dtype=np.int8)
    vote[cmp.p > 0.5] = 1
    vote[cmp.p < 0.5] = -1
    vote[np.asarray(cmp.tie, dtype=bool)] = 0
    # group= is given, so comparisons() filled group and groups.
    groups = cast(np.ndarray, cmp.groups)
    if cmp.judge is None:
        judge_codes = np.zeros(len(vote), dtype=np.uint32)
        judge_labels = np.array([0])
    else:
        judge_codes, judge_labels = cmp.judge, np.asarray(cmp.judges)
    out = _core.robust_curate_pairs(
        np.ascontiguousarray(cast(np.ndarray, cmp.group), dtype=np.uint32),
        np.ascontiguousarray(cmp.a, dtype=np.uint32),
        np.ascontiguousarray(cmp.b, dtype=np.uint32),
        np.ascontiguousarray(judge_codes, dtype=np.uint32),
        vote,
        len(groups),
        len(cmp.items),
        len(judge_labels),
        *core_args,
    )
    _warn(bool(out.converged), "batched curation EM", int(out.iterations))
    p, items = out.prompt, out.items
    assert items is not None  # robust_curate_pairs always sets the response slots' items
    return Curation(
        prompt=groups[p],
        chosen=cmp.items[items[p, out.chosen]],
        rejected=cmp.items[items[p, out.rejected]],
        weight=out.weight,
        epsilon=float(out.epsilon),
        label_epsilon=float(out.label_epsilon),
        judge_epsilon=out.judge_epsilon,
        judge_votes=out.judge_votes,
        judges=judge_labels,
        theta=out.theta,
        iterations=int(out.iterations),
        converged=bool(out.converged),
    )
