"""Small SVG charts drawn on the server (no JavaScript, nothing from a CDN).

Every text that goes into a chart is escaped; numbers are formatted by us.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR_HEIGHT, GAP, LABEL = 560, 22, 10, 110


def stock_bars(levels: list[tuple[str, int, int]]) -> Markup:
    """One bar per location: available units, then reserved units, to the same scale.

    ``levels`` is ``(location code, available, reserved)``.
    """
    top = max((max(a, 0) + r for _, a, r in levels), default=0) or 1
    scale = (WIDTH - LABEL - 60) / top
    height = len(levels) * (BAR_HEIGHT + GAP) + GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
             f'height="{height}" viewBox="0 0 {WIDTH} {height}" class="chart">',
             "<title>Available and reserved units per location</title>"]
    for i, (code, available, reserved) in enumerate(levels):
        y = GAP + i * (BAR_HEIGHT + GAP)
        a_w, r_w = max(available, 0) * scale, reserved * scale
        parts += [
            f'<text x="0" y="{y + 16}" class="label">{escape(code)}</text>',
            f'<rect x="{LABEL}" y="{y}" width="{a_w:.1f}" height="{BAR_HEIGHT}" '
            f'class="available"><title>{available} available</title></rect>',
            f'<rect x="{LABEL + a_w:.1f}" y="{y}" width="{r_w:.1f}" height="{BAR_HEIGHT}" '
            f'class="reserved"><title>{reserved} reserved</title></rect>',
            f'<text x="{LABEL + a_w + r_w + 6:.1f}" y="{y + 16}" class="value">'
            f"{available} + {reserved}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))


def on_hand_line(points: list[int], height: int = 120) -> Markup:
    """On hand (all locations) after each of the latest movements, oldest first."""
    if len(points) < 2:
        return Markup("")
    low, high = min(0, *points), max(points) or 1
    step = (WIDTH - 20) / (len(points) - 1)
    span = (high - low) or 1

    def y(value: int) -> float:
        return 10 + (height - 20) * (1 - (value - low) / span)

    path = " ".join(f"{'M' if i == 0 else 'L'}{10 + i * step:.1f},{y(v):.1f}"
                    for i, v in enumerate(points))
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" class="chart">'
        f"<title>On hand after each of the last {len(points)} movements: from "
        f"{points[0]} to {points[-1]}</title>"
        f'<path d="{path}" class="line" fill="none"/>'
        f'<text x="10" y="{height - 2}" class="value">{points[0]}</text>'
        f'<text x="{WIDTH - 40}" y="12" class="value">{points[-1]}</text></svg>')
