"""The judge-consistency audit as a self-contained HTML page (inline SVG, no external assets)."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em} h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0} td,th{padding:.25em .6em;border-bottom:1px solid #eee;
text-align:right} th{background:#f6f6f6} td.l,th.l{text-align:left} .note{color:#666;font-size:.9em}
.big{font-size:1.3em;font-weight:600} code{background:#f3f3f3;padding:0 .2em}
"""


def _num(x: Any, digits: int = 4) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        if math.isnan(x):
            return "–"
        return f"{x:.{digits}f}"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    return escape(str(x))


def _ci(lo: float, hi: float) -> str:
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return ""
    return f" [{lo:.4f}, {hi:.4f}]"


def _table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    h = "".join(f"<th class='{'l' if i < left else ''}'>{escape(c)}</th>" for i, c in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td class='{'l' if i < left else ''}'>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{h}</tr>{body}</table>"


def _bar_chart(labels: list[str], values: list[float], lo: list[float], hi: list[float], title: str) -> str:
    """Horizontal bars with interval whiskers on [0, 1] and a reference line at 0.5."""
    row_h, left, width = 18, 220, 420
    height = row_h * len(labels) + 40
    parts = [f"<svg width='{left + width + 60}' height='{height}' role='img' aria-label='{escape(title)}'>"]
    x0 = left
    parts.append(
        f"<line x1='{x0 + width / 2}' y1='10' x2='{x0 + width / 2}' y2='{height - 25}' "
        "stroke='#c00' stroke-dasharray='4 3'/>"
    )
    for k, (lab, v, a, b) in enumerate(zip(labels, values, lo, hi, strict=False)):
        y = 15 + k * row_h
        parts.append(f"<text x='{left - 6}' y='{y + 12}' text-anchor='end' font-size='11'>{escape(lab)}</text>")
        if v is not None and not math.isnan(v):
            parts.append(f"<rect x='{x0}' y='{y + 2}' width='{v * width:.1f}' height='{row_h - 6}' fill='#5b8def'/>")
            parts.append(f"<text x='{x0 + v * width + 4:.1f}' y='{y + 12}' font-size='10'>{v:.3f}</text>")
        if a is not None and b is not None and not (math.isnan(a) or math.isnan(b)):
            parts.append(
                f"<line x1='{x0 + a * width:.1f}' y1='{y + row_h / 2}' x2='{x0 + b * width:.1f}' "
                f"y2='{y + row_h / 2}' stroke='#222'/>"
            )
    yb = height - 20
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f"<text x='{x0 + t * width:.1f}' y='{yb + 12}' font-size='10' text-anchor='middle'>{t}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _heatmap(labels: list[Any], m: np.ndarray) -> str:
    """Win-share heatmap: cell (i, j) = wins of i over j / games between them."""
    k = len(labels)
    if k == 0:
        return "<p class='note'>no items</p>"
    cell, left, top = 16, 200, 200
    size_w, size_h = left + k * cell + 10, top + k * cell + 10
    games = m + m.T
    parts = [f"<svg width='{size_w}' height='{size_h}' role='img' aria-label='win matrix'>"]
    for i, lab in enumerate(labels):
        s = escape(str(lab))[:30]
        parts.append(f"<text x='{left - 4}' y='{top + i * cell + 12}' text-anchor='end' font-size='10'>{s}</text>")
        parts.append(
            f"<text transform='translate({left + i * cell + 11},{top - 4}) rotate(-60)' font-size='10'>{s}</text>"
        )
    for i in range(k):
        for j in range(k):
            if i == j or games[i, j] <= 0:
                color = "#eee"
                tip = ""
            else:
                share = m[i, j] / games[i, j]
                # Blue for wins, red for losses.
                r = int(255 * min(1, 2 * (1 - share)))
                bl = int(255 * min(1, 2 * share))
                g = min(r, bl)
                color = f"rgb({r},{g},{bl})"
                pair = f"{escape(str(labels[i]))} vs {escape(str(labels[j]))}"
                tip = f"<title>{pair}: {share:.2f} of {games[i, j]:g}</title>"
            parts.append(
                f"<rect x='{left + j * cell}' y='{top + i * cell}' width='{cell - 1}' height='{cell - 1}' "
                f"fill='{color}'>{tip}</rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def render_audit_html(a: Any) -> str:
    """The audit as one HTML page."""
    out = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>prefrank audit</title><style>{_CSS}</style>"
        "</head><body><h1>Judge-consistency audit</h1>",
        f"<p>{a.n_rows:,} judgments over {a.n_items:,} items.</p>",
    ]
    tr = a.transitivity
    if tr is not None:
        out.append("<h2>Transitivity within groups</h2>")
        out.append(
            f"<p class='big'>Non-transitive triples: {_num(tr.rates['non_transitive'])}"
            f"{_ci(*tr.ci['non_transitive'])}</p>"
            f"<p class='note'>{tr.counts['triples']:,} fully judged triples in {tr.n_groups:,} groups; "
            f"verdicts per pair aggregated by <code>{escape(tr.aggregate)}</code>; "
            f"{int(tr.level * 100)}% percentile bootstrap over groups ({tr.bootstrap} rounds).</p>"
        )
        rows = []
        for k, label in (
            ("circular", "circular (A > B > C > A)"),
            ("equivalence", "equivalence contradiction (A = B, B = C, A ≠ C)"),
            ("other", "other tie pattern (A = C, A > B > C)"),
            ("non_transitive", "all non-transitive"),
        ):
            rows.append([escape(label), _num(tr.counts[k]), _num(tr.rates[k]) + _ci(*tr.ci[k])])
        for k in ("ntr4", "ntr5"):
            if k in tr.rates:
                rows.append([f"NTR_{k[-1]} (TrustJudge)", "", _num(tr.rates[k]) + _ci(*tr.ci[k])])
        out.append(_table(["class", "triples", "rate [interval]"], rows))
        if a.worst_groups is not None and len(a.worst_groups):
            out.append("<h3>Worst groups</h3>")
            rows = []
            for g, r in a.worst_groups.iterrows():
                rows.append(
                    [
                        escape(str(g)),
                        _num(int(r["triples"])),
                        _num(int(r["non_transitive"])),
                        _num(float(r["non_transitive_rate"])),
                    ]
                )
            out.append(_table(["group", "triples", "non-transitive", "rate"], rows))
        if a.worst_triples is not None and len(a.worst_triples):
            out.append("<h3>Contradictions, spelled out</h3>")
            cols = ["group", *(["judge"] if "judge" in a.worst_triples.columns else []), "kind", "text"]
            rows = [[escape(str(r[c])) for c in cols] for r in a.worst_triples.head(60).to_dict("records")]
            out.append(_table(cols, rows, left=len(cols)))
    to = a.tournament
    if to is not None:
        out.append("<h2>Whole tournament (all judgments pooled)</h2>")
        zeta = "" if to.zeta is None else f"; coefficient of consistence ζ = {to.zeta:.4f}"
        out.append(
            f"<p>{to.n_items:,} items, {to.n_arcs:,} decided pairs, {to.n_ties:,} tied pairs; "
            f"{to.triples:,} fully judged triples of which {to.circular:,} are 3-cycles, "
            f"{to.equivalence:,} equivalence contradictions and {to.other:,} other tie patterns{zeta}.</p>"
        )
        cyc = to.cyclic_components
        out.append(
            f"<p>{len(cyc)} strongly connected component(s) with more than one item"
            + (f"; the largest has {len(cyc[0])} items.</p>" if cyc else ".</p>")
        )
        if to.cycles:
            rows = [[escape(" > ".join(map(str, c)) + f" > {c[0]}")] for c in to.cycles[:20]]
            out.append(_table(["shortest cycles"], rows))
        if to.order is not None:
            out.append(
                f"<p>Most consistent order ({'exact' if to.exact else 'heuristic'} minimum feedback arc "
                "set): "
                f"{to.backward_arcs:,} backward arcs.</p><p class='note'>"
                + escape(" > ".join(map(str, to.order[:40])))
                + (" …" if len(to.order) > 40 else "")
                + "</p>"
            )
        labels, m = a.win_matrix()
        out.append("<h3>Win matrix (share of games the row item won; blue = wins)</h3>")
        out.append(_heatmap(labels, m))
    pb = a.position_bias
    if pb is not None:
        out.append("<h2>Position bias</h2>")
        out.append(
            f"<p class='big'>First-shown item wins {_num(pb.first_win_share)}{_ci(*pb.ci)} of decisive "
            f"verdicts (p = {pb.p_value:.3g} against 0.5).</p>"
        )
        if pb.n_swapped_pairs:
            out.append(
                f"<p>{pb.n_swapped_pairs:,} pairs judged in both orders; swap consistency "
                f"{_num(pb.swap_consistency)}.</p>"
            )
            out.append(_table(["pattern", "pairs"], [[k, _num(v)] for k, v in pb.patterns.items()]))
        labels_, vals, los, his = ["all"], [pb.first_win_share], [pb.ci[0]], [pb.ci[1]]
        if pb._by_judge is not None and pb._judge_labels is not None:
            order = np.argsort(-pb._by_judge["n_decisive"], kind="stable")[:30]
            for k in order:
                labels_.append(str(pb._judge_labels[k]))
                vals.append(float(pb._by_judge["first_win_share"][k]))
                los.append(float(pb._by_judge["lo"][k]))
                his.append(float(pb._by_judge["hi"][k]))
        out.append(_bar_chart(labels_, vals, los, his, "first-shown win share"))
        out.append(
            "<p class='note'>Bars: share of decisive verdicts won by the item shown first (judges with "
            "the most verdicts, up to 30); whiskers: Wilson intervals; dashed line: no bias.</p>"
        )
    sc = a.score_consistency
    if sc is not None:
        out.append("<h2>Scores vs pairwise verdicts</h2>")
        out.append(
            f"<p class='big'>Conflict rate {_num(sc.conflict_rate)}; reversals {_num(sc.reversal_rate)}"
            f" (tolerance {sc.tolerance:g}).</p>"
        )
        names = ("a", "tie", "b")
        rows = [[f"score {names[i]}", *[_num(float(sc.table[i, j]), 0) for j in range(3)]] for i in range(3)]
        out.append(_table(["", "verdict a", "verdict tie", "verdict b"], rows))
    if a.notes:
        out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in a.notes) + "</ul>")
    out.append("<p class='note'>Generated by prefrank. See docs/audit.md for what each number means.</p>")
    out.append("</body></html>")
    return "\n".join(out)
