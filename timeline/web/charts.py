"""Bar charts of metrics, drawn on the server as plain SVG.

`bar_chart` only computes geometry and text: the template turns it into SVG
elements, so every label goes through Jinja's autoescaping like any other
value from the database.  No scripts, no fonts, nothing fetched.
"""
import math

from ..display import compact

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 76, 16, 30, 52
MAX_BARS = 12

def nice_ticks(low, high, count=5):
    """Round tick values covering [low, high], zero included."""
    low, high = min(low, 0.0), max(high, 0.0)
    if low == high:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks, value = [], start
    while value < high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def bar_chart(title, unit, points, chart_id):
    """Geometry for one chart.

    points: dicts with `label` (period, "Q2 2025"), `amount`, `text` (the exact
    value, for the tooltip), `href` (the event), `qualifier`; oldest first.
    """
    points = points[-MAX_BARS:]
    amounts = [p["amount"] for p in points]
    ticks = nice_ticks(min(amounts), max(amounts))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value):
        return TOP + (high - value) / (high - low) * plot_h

    band = plot_w / len(points)
    bar_w = min(band * 0.62, 56)
    zero = y(0)
    bars = []
    for i, point in enumerate(points):
        top = y(point["amount"])
        x = LEFT + i * band + (band - bar_w) / 2
        negative = point["amount"] < 0
        first, _, second = point["label"].rpartition(" ")
        bars.append({
            "x": round(x, 1), "width": round(bar_w, 1),
            "y": round(min(top, zero), 1), "height": round(max(abs(zero - top), 1), 1),
            "center": round(x + bar_w / 2, 1),
            "value_y": round(top + 13 if negative else top - 5, 1),
            "value": ("~" if point.get("qualifier") else "") + compact(point["amount"], unit),
            "label_lines": [first, second] if first else [second],
            "tooltip": f"{point['label']}: {point['text']}",
            "href": point.get("href"),
            "negative": negative,
        })
    return {
        "id": chart_id, "title": title, "unit": unit, "width": WIDTH, "height": HEIGHT,
        "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM, "zero": round(zero, 1),
        "label_y": HEIGHT - BOTTOM + 16,
        "ticks": [{"y": round(y(t), 1), "text": compact(t, unit)} for t in ticks],
        "bars": bars,
        "description": f"{title}: " + "; ".join(f"{p['label']} {p['text']}" for p in points),
    }
