"""Server-rendered SVG charts for the statistics page (no script, no CDN): vertical grouped bars
over months, horizontal bars for the other dimensions. Text is escaped; sizes are in viewBox units
so the charts scale to a phone."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#1565c0", "#2e7d32", "#e65100", "#6a1b9a", "#c62828", "#00838f")


def _fmt(value: int, money: bool) -> str:
    if money:
        return f"¥{value / 100:,.0f}"
    return f"{value:,}"


def bars_by_month(rows: list[dict], columns: list[str], labels: dict, *, money: bool = False,
                  title: str = "") -> Markup:
    """Grouped vertical bars: one group per month, one bar per column."""
    width, height, left, bottom, top = 640, 240, 56, 36, 24
    if not rows:
        return Markup("")
    peak = max(max(r[c] for c in columns) for r in rows) or 1
    plot_w, plot_h = width - left - 8, height - top - bottom
    group_w = plot_w / len(rows)
    bar_w = max(min(group_w * 0.8 / len(columns), 28), 2)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for i in range(5):
        y = top + plot_h * i / 4
        value = peak * (4 - i) / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#e0e0e0"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#616161">'
                     f"{escape(_fmt(int(value), money))}</text>")
    for gi, row in enumerate(rows):
        x0 = left + gi * group_w + (group_w - bar_w * len(columns)) / 2
        for ci, col in enumerate(columns):
            h = plot_h * row[col] / peak
            x, y = x0 + ci * bar_w, top + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[ci % len(PALETTE)]}"><title>{escape(row["key"])} · '
                         f'{escape(labels[col])}: {escape(_fmt(row[col], money))}</title></rect>')
        parts.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                     f'text-anchor="middle" fill="#424242">{escape(row["key"])}</text>')
    for ci, col in enumerate(columns):
        x = left + ci * 130
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[ci % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="{height - 5}" font-size="11" fill="#424242">{escape(labels[col])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(rows: list[dict], column: str, names: dict, *, money: bool = False,
                    title: str = "") -> Markup:
    """One horizontal bar per row (mode, category, city) for one column, largest first."""
    rows = sorted(rows, key=lambda r: -r[column])[:12]
    if not rows:
        return Markup("")
    width, row_h, left = 640, 22, 150
    height = row_h * len(rows) + 8
    peak = max(r[column] for r in rows) or 1
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        w = (width - left - 90) * row[column] / peak
        parts.append(f'<text x="{left - 6}" y="{y + 14}" font-size="11" text-anchor="end" fill="#424242">'
                     f'{escape(names.get(row["key"], row["key"]))}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11" fill="#212121">'
                     f"{escape(_fmt(row[column], money))}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
