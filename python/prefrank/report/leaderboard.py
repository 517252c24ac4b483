"""HTML report for a leaderboard: an interval chart and a win-rate heatmap (matplotlib, embedded PNGs),
and optionally how fragile the top spot is (:func:`prefrank.robust.fragility`)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

# Removed comparisons listed in the report's fragility section; the rest are counted.
FRAGILITY_ROWS = 20


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def figures(ranking: Any, level: float = 0.95) -> dict[str, Any]:
    """Matplotlib figures: ``intervals`` (scores with intervals) and ``win_rate`` (heatmap)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("the HTML report needs matplotlib: pip install 'prefrank[plot]'") from None
    import numpy as np

    table = ranking.to_pandas(level=level)
    n = len(table)
    fig1, ax = plt.subplots(figsize=(7, 0.28 * n + 1.2))
    y = np.arange(n)[::-1]
    if "lower" in table:
        # A percentile interval need not contain the estimate (few rounds, skewed resamples), so
        # draw it from its ends rather than as errors around the score.
        ax.hlines(y, table["lower"], table["upper"], color="#7fa7cf")
        ax.plot(table["lower"], y, "|", color="#7fa7cf")
        ax.plot(table["upper"], y, "|", color="#7fa7cf")
        ax.plot(table["score"], y, "o", color="#1f4e79")
    else:
        ax.plot(table["score"], y, "o", color="#1f4e79")
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in table["item"]])
    ax.set_xlabel(f"score ({ranking.scale} scale)" + (f", {int(level * 100)}% interval" if "lower" in table else ""))
    ax.grid(axis="x", alpha=0.3)
    fig1.tight_layout()

    order = [str(v) for v in table["item"]]
    rate = ranking.win_rate()
    rate.index = rate.index.map(str)
    rate.columns = rate.columns.map(str)
    rate = rate.loc[order, order]
    fig2, ax2 = plt.subplots(figsize=(0.35 * n + 2.5, 0.35 * n + 2))
    im = ax2.imshow(rate.to_numpy(dtype=float), cmap="RdBu", vmin=0, vmax=1)
    ax2.set_xticks(range(n))
    ax2.set_xticklabels(order, rotation=90)
    ax2.set_yticks(range(n))
    ax2.set_yticklabels(order)
    ax2.set_title("win rate of row against column (ties count half)")
    fig2.colorbar(im, ax=ax2, fraction=0.04)
    fig2.tight_layout()
    return {"intervals": fig1, "win_rate": fig2}


def fragility_html(fragility: Any, top: Any = None) -> str:
    """The report's fragility section: a :class:`~prefrank.robust.Fragility` result, or the reason
    (a message or an exception) why it could not be computed. ``top`` is the leaderboard's top item,
    to flag a fit whose top item differs (fragility counts ties half whatever ``ties`` the board used)."""
    if not hasattr(fragility, "found"):
        why = html.escape(str(fragility))
        return f'<h2 id="fragility">Fragility</h2><p class="fragility-error">Fragility was not computed: {why}</p>'
    f = fragility
    esc = html.escape
    before, after = esc(str(f.top_before)), esc(str(f.top_after))
    parts = ['<h2 id="fragility">Fragility</h2>']
    if f.found:
        share = f.size / f.total if f.total else 0.0
        parts.append(
            f'<p class="fragility-reading">The top spot rests on <strong>{f.size:,} of {f.total:,}</strong> '
            f"comparisons ({share:.2%}): removing them makes <strong>{after}</strong> the top item instead of "
            f"<strong>{before}</strong>.</p>"
        )
    else:
        parts.append(
            f'<p class="fragility-reading">No removal of comparisons within the search budget changes the top '
            f"item (<strong>{before}</strong>, {f.total:,} comparisons).</p>"
        )
    if top is not None and str(top) != str(f.top_before):
        parts.append(
            f"<p>Note: fragility refits Bradley-Terry with ties counting half, whose top item "
            f"({before}) differs from this leaderboard's ({esc(str(top))}).</p>"
        )
    if f.found and f.size:
        body = "\n".join(
            f"<tr><td>{int(r)}</td><td>{esc(str(w))} vs {esc(str(lo))}</td><td>{esc(str(w))} won</td></tr>"
            for r, w, lo in list(zip(f.rows, f.winner, f.loser, strict=True))[:FRAGILITY_ROWS]
        )
        more = (
            f"<p>&hellip; and {f.size - FRAGILITY_ROWS:,} more (all row numbers are in the JSON output).</p>"
            if f.size > FRAGILITY_ROWS
            else ""
        )
        parts.append(
            '<table class="fragility"><thead><tr><th>row</th><th>pair</th><th>outcome</th></tr></thead>'
            f"<tbody>{body}</tbody></table>{more}"
        )
    parts.append(
        "<p><small>Greedy search by influence, each removal confirmed by an exact refit: an upper bound on the "
        "smallest such set. Rows are 0-based data rows of the input (files of a directory or glob in path "
        "order); ties count half and are never removed.</small></p>"
    )
    return "\n".join(parts)


def write_html(ranking: Any, path: str | Path, level: float = 0.95, *, fragility: Any = None) -> None:
    """Write a self-contained HTML leaderboard report.

    ``fragility`` (optional) adds a section on how many comparisons the top item rests on: a
    :class:`~prefrank.robust.Fragility` result from :func:`prefrank.robust.fragility` on the same
    comparisons, or a message / exception saying why it could not be computed.
    """
    import matplotlib.pyplot as plt

    figs = figures(ranking, level)
    table = ranking.to_pandas(level=level)
    rows = "\n".join(
        "<tr>"
        + "".join(f"<td>{html.escape(f'{v:.1f}' if isinstance(v, float) else str(v))}</td>" for v in rec)
        + "</tr>"
        for rec in table.itertuples(index=False)
    )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    info = html.escape(repr(ranking).splitlines()[0])
    top = table["item"].iloc[0] if len(table) else None
    frag = "" if fragility is None else fragility_html(fragility, top) + "\n"
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>prefrank leaderboard</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}}td:nth-child(2){{text-align:left}}</style>
</head><body><h1>Leaderboard</h1><p><code>{info}</code></p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
{frag}<h2>Scores and intervals</h2><img alt="interval chart" src="data:image/png;base64,{_png(figs["intervals"])}">
<h2>Win rates</h2><img alt="win-rate heatmap" src="data:image/png;base64,{_png(figs["win_rate"])}">
</body></html>"""
    Path(path).write_text(doc, encoding="utf-8")
    for f in figs.values():
        plt.close(f)
