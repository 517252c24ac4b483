"""HTML report for a leaderboard: an interval chart and a win-rate heatmap (matplotlib, embedded PNGs)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any


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
        err = np.vstack([table["score"] - table["lower"], table["upper"] - table["score"]])
        ax.errorbar(table["score"], y, xerr=err, fmt="o", color="#1f4e79", ecolor="#7fa7cf", capsize=3)
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


def write_html(ranking: Any, path: str | Path, level: float = 0.95) -> None:
    """Write a self-contained HTML leaderboard report."""
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
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>prefrank leaderboard</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}}td:nth-child(2){{text-align:left}}</style>
</head><body><h1>Leaderboard</h1><p><code>{info}</code></p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<h2>Scores and intervals</h2><img alt="interval chart" src="data:image/png;base64,{_png(figs["intervals"])}">
<h2>Win rates</h2><img alt="win-rate heatmap" src="data:image/png;base64,{_png(figs["win_rate"])}">
</body></html>"""
    Path(path).write_text(doc, encoding="utf-8")
    for f in figs.values():
        plt.close(f)
