"""Charts drawn on the server as plain SVG: metric bar charts and the visual timeline.

These functions only compute geometry and text: the templates turn it into SVG
elements, so every label goes through Jinja's autoescaping like any other
value from the database (and through display.xml_text, so a control character
in a summary cannot make a standalone SVG invalid XML).  No scripts, no fonts,
nothing fetched.

Every amount the log accepts is drawn: -1e18..1e18, 0, 5e-324; the ticks are
multiples of a step computed without rounding to a fixed number of decimals,
and a chart whose values are all (nearly) zero gets the axis 0..1.
"""
import datetime as dt
import math

from ..display import compact, xml_text

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 84, 18, 60, 52
MAX_BARS = 16
TINY = 1e-300  # below this a span is no span (5e-324 / 5 underflows to 0)


def nice_ticks(low, high, count=5):
    """Round tick values covering [low, high], zero included, first < last."""
    low, high = min(float(low), 0.0), max(float(high), 0.0)
    span = high - low
    if not math.isfinite(span) or span < TINY:
        return [low, low + 1.0] if low < 0 or span < TINY else [0.0, 1.0]
    raw = span / count
    if raw < TINY:
        return [low, high]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), 10 * power)
    first, last = math.floor(low / step), math.ceil(high / step)
    ticks = [_clean(k * step) for k in range(int(first), int(last) + 1)]
    if ticks[0] > low:
        ticks.insert(0, low)
    if ticks[-1] < high:
        ticks.append(high)
    if len(ticks) < 2 or ticks[-1] <= ticks[0]:
        return [low, high if high > low else low + 1.0]
    return ticks


def _clean(value):
    """k * step without binary noise: 0.30000000000000004 -> 0.3."""
    return float(f"{value:.12g}")


def bar_chart(chart_id, title, axis_label, points, caption=""):
    """Geometry for one bar chart.

    points: dicts with `label` (the period, "Q2 2025"), `amount`, `text` (the
    exact value, for the tooltip), `short` (the value on the bar), `seq` (its
    event), oldest first.  The last bar is the latest value and is annotated.
    """
    points = points[-MAX_BARS:]
    amounts = [float(p["amount"]) for p in points]
    ticks = nice_ticks(min(amounts), max(amounts))
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value):
        share = (high - value) / (high - low)
        return TOP + min(max(share, 0.0), 1.0) * plot_h

    band = plot_w / len(points)
    bar_w = min(band * 0.62, 56)
    zero = y(0.0)
    bars = []
    for i, point in enumerate(points):
        top = y(float(point["amount"]))
        x = LEFT + i * band + (band - bar_w) / 2
        negative = point["amount"] < 0
        first, _, second = str(point["label"]).rpartition(" ")
        bars.append({
            "x": round(x, 1), "width": round(bar_w, 1),
            "y": round(min(top, zero), 1), "height": round(max(abs(zero - top), 1), 1),
            "center": round(x + bar_w / 2, 1),
            "value_y": round(top + 13 if negative else top - 5, 1),
            "value": xml_text(point.get("short") or compact(point["amount"])),
            "label_lines": [xml_text(first), xml_text(second)] if first else [xml_text(second)],
            "tooltip": xml_text(f"{point['label']}: {point['text']}"),
            "seq": point.get("seq"),
            "negative": negative,
            "latest": i == len(points) - 1,
        })
    latest = points[-1]
    return {
        "id": chart_id, "title": xml_text(title), "axis_label": xml_text(axis_label),
        "width": WIDTH, "height": HEIGHT,
        "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM, "zero": round(zero, 1),
        "label_y": HEIGHT - BOTTOM + 16, "axis_label_x": 14, "axis_label_y": round(TOP + plot_h / 2, 1),
        "ticks": [{"y": round(y(t), 1), "text": compact(t)} for t in ticks],
        "bars": bars,
        "latest": xml_text(f"Latest, {latest['label']}: {latest['text']}"),
        "caption": xml_text(caption),
        "description": xml_text(f"{title}: " + "; ".join(f"{p['label']} {p['text']}" for p in points)),
    }


# ---- the visual timeline ----

TL_WIDTH = 1160
TL_LEFT, TL_RIGHT, TL_TOP = 132, 16, 34
ROW_H, LANE_PAD, MAX_ROWS = 13, 6, 6
POINT_R = 4
KIND_COLOURS = {
    "financial_result": "#1f77b4", "operating_metric": "#4f9bd1", "guidance": "#7c5cbf",
    "launch": "#2ca02c", "design_win": "#7fbf3f",
    "investment": "#d62728", "funding": "#e8743b", "acquisition": "#a83232", "ownership": "#8c564b",
    "partnership": "#e377c2", "contract_win": "#bf8f00", "customer": "#d4a017",
    "facility_opening": "#17a2b8", "headquarters": "#0f6e7a",
    "leadership": "#6b6ecf", "founding": "#393b79",
    "certification": "#637939", "award": "#b5a000", "listing": "#9467bd",
    "note": "#7f7f7f",
}
OTHER_COLOUR = "#999999"


def colour(kind):
    return KIND_COLOURS.get(kind, OTHER_COLOUR)


def timeline_chart(items, lanes, start, end, max_marks=400):
    """Geometry of the visual timeline from `start` to `end` (dates, inclusive).

    items: dicts with `lane`, `kind`, `valid_from`, `valid_to` (ISO), `approximate`,
    `seq`, `title`; lanes: [(lane key, label)].  Up to `max_marks` items are drawn one
    by one (a span as a bar as long as it is, a day as a dot; an approximate span
    hatched); more than that are drawn as counts per lane and year.
    """
    start, end = _date(start), _date(end)
    days = (end - start).days + 1
    plot_w = TL_WIDTH - TL_LEFT - TL_RIGHT

    def x(date, edge=0):
        return TL_LEFT + ((_date(date) - start).days + edge) / days * plot_w

    shown = [item for item in items if item["valid_to"] >= start.isoformat() and item["valid_from"] <= end.isoformat()]
    aggregated = len(shown) > max_marks
    by_lane = {key: [] for key, _ in lanes}
    for item in shown:
        by_lane.setdefault(item["lane"], []).append(item)
    lane_rows, marks, buckets, y = [], [], [], TL_TOP
    for key, label in lanes:
        lane_items = by_lane.get(key) or []
        if not lane_items:
            continue
        if aggregated:
            height = ROW_H * 2 + LANE_PAD
            counts = {}
            for item in lane_items:
                year = min(max(int(item["valid_from"][:4]), start.year), end.year)
                counts[year] = counts.get(year, 0) + 1
            most = max(counts.values())
            for year, count in sorted(counts.items()):
                x0, x1 = x(max(dt.date(year, 1, 1), start)), x(min(dt.date(year, 12, 31), end), 1)
                bar_h = max(2.0, (ROW_H * 2 - 4) * count / most)
                buckets.append({"x": round(x0 + 1, 1), "width": round(max(x1 - x0 - 2, 2), 1),
                                "y": round(y + ROW_H * 2 - bar_h, 1), "height": round(bar_h, 1),
                                "count": count, "year": year, "lane": key,
                                "title": xml_text(f"{label}: {count} events in {year}")})
        else:
            rows_end, overflow = [], 0
            for item in sorted(lane_items, key=lambda i: (i["valid_from"], i["valid_to"], i["seq"])):
                x0 = x(max(item["valid_from"], start.isoformat()))
                x1 = x(min(item["valid_to"], end.isoformat()), 1)
                point = item["valid_from"] == item["valid_to"] or x1 - x0 < 2 * POINT_R
                left, right = (x0 + x1) / 2 - POINT_R if point else x0, (x0 + x1) / 2 + POINT_R if point else x1
                row = next((r for r, taken in enumerate(rows_end) if taken + 2 <= left), None)
                if row is None:
                    if len(rows_end) >= MAX_ROWS:
                        overflow += 1
                        continue
                    rows_end.append(right)
                    row = len(rows_end) - 1
                rows_end[row] = max(rows_end[row], right)
                top = y + LANE_PAD / 2 + row * ROW_H
                marks.append({
                    "point": point, "cx": round((x0 + x1) / 2, 1), "cy": round(top + ROW_H / 2 - 1, 1),
                    "r": POINT_R, "x": round(x0, 1), "y": round(top + 2, 1), "width": round(max(x1 - x0, 1.5), 1),
                    "height": ROW_H - 5, "colour": colour(item["kind"]), "approximate": item.get("approximate", False),
                    "seq": item["seq"], "title": xml_text(item["title"]),
                })
            height = max(len(rows_end), 1) * ROW_H + LANE_PAD
            if overflow:
                lane_rows.append({"key": key, "label": label, "y": y, "height": height, "overflow": overflow})
        if not lane_rows or lane_rows[-1]["key"] != key:
            lane_rows.append({"key": key, "label": label, "y": y, "height": height, "overflow": 0})
        y += height
    ticks = _time_ticks(start, end, x)
    bottom = max(y, TL_TOP + ROW_H)
    return {
        "width": TL_WIDTH, "height": round(bottom + 8, 1), "left": TL_LEFT, "right": TL_WIDTH - TL_RIGHT,
        "top": TL_TOP, "bottom": round(bottom, 1), "lanes": [
            {**lane, "label_y": round(lane["y"] + min(lane["height"], ROW_H * 2) / 2 + 4, 1),
             "y": round(lane["y"], 1), "height": round(lane["height"], 1)} for lane in lane_rows],
        "marks": marks, "buckets": buckets, "aggregated": aggregated, "ticks": ticks,
        "shown": len(shown), "start": start.isoformat(), "end": end.isoformat(),
    }


def _time_ticks(start, end, x):
    """Year ticks (every year, or every 2, 5, 10… on a long axis); months on an axis under two years."""
    years = end.year - start.year + 1
    ticks = []
    if years <= 2:
        month = dt.date(start.year, start.month, 1)
        while month <= end:
            if month >= start:
                ticks.append({"x": round(x(month), 1), "label": month.strftime("%b") if month.month != 1 else str(month.year),
                              "year": month.year, "major": month.month == 1})
            if (month.year, month.month) == (dt.MAXYEAR, 12):
                break
            month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        if not any(t["major"] for t in ticks):
            ticks.insert(0, {"x": round(x(start), 1), "label": str(start.year), "year": start.year, "major": True})
        return ticks
    every = next(step for step in (1, 2, 5, 10, 20, 50, 100, 250, 500, 1000) if years / step <= 14)
    for year in range(start.year, end.year + 1):
        if year % every == 0 or year == start.year:
            day = max(dt.date(year, 1, 1), start)
            ticks.append({"x": round(x(day), 1), "label": str(year), "year": year, "major": True})
    return ticks


def _date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
