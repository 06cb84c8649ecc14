"""What the plugin's pages show, read from a published file (or a live SQLite log).

Plain functions over a SQLAlchemy connection, one per kind of page, so tests
and other front ends can call them without Datasette.  Which events stand,
now or as known at a date, comes from one place (`queries.events_about`, by
`timeline.rules`): the state table, the timeline's badges, the relationships
and the charts all agree with `timeline show`.
"""
import json
from dataclasses import dataclass

import sqlalchemy as sa

from .. import display, queries, rules, vocabulary
from ..errors import TimelineError
from ..registry import Registry
from . import charts

TIMELINE_LIMIT = 500
MAX_CHARTS = 6
RELATION_KINDS = tuple(kind for kind, spec in vocabulary.kinds().items() if spec.get("relation"))
CHART_KINDS = ("financial_result", "operating_metric")


def _rows(conn, sql, **params):
    return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def _one(conn, sql, **params):
    rows = _rows(conn, sql, **params)
    return rows[0] if rows else None


def safe_url(url):
    """The URL if it is http(s), else None: a javascript: URL must never become a link."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


# ---- the index of entities ----

def entity_index(conn):
    entities = _rows(conn, """
        SELECT key, name, type, parent, aliases, events, standing_events, as_counterparty,
               first_date, last_date, sources, note
        FROM entity_summary ORDER BY lower(name), key""")
    publication = _one(conn, "SELECT * FROM publication") if _has_table(conn, "publication") else None
    totals = {
        "events": conn.execute(sa.text("SELECT count(*) FROM events")).scalar(),
        "sources": conn.execute(sa.text("SELECT count(*) FROM sources")).scalar(),
        "corrections": conn.execute(sa.text(
            "SELECT count(*) FROM events WHERE supersedes IS NOT NULL OR retracts IS NOT NULL")).scalar(),
    }
    return {"entities": entities, "publication": publication, "totals": totals}


def _has_table(conn, name):
    return conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = :name"), {"name": name}).first() is not None


# ---- one entity ----

@dataclass
class Lookup:
    """An entity page request that names an entity by an alias: where to send it."""
    redirect_to: str


def resolve_entity(conn, name):
    """The entity row for key `name`, a Lookup for another name of one, or None."""
    entity = _one(conn, "SELECT * FROM entities WHERE key = :key", key=name)
    if entity is not None:
        return entity
    try:
        return Lookup(Registry(conn).resolve(name))
    except TimelineError:
        return None


def entity_page(conn, key, as_of=None, known_at=None, limit=TIMELINE_LIMIT):
    """Everything the entity page shows; None if no entity has that key or name."""
    entity = resolve_entity(conn, key)
    if entity is None or isinstance(entity, Lookup):
        return entity
    key = entity["key"]
    standing = queries.events_about(conn, key, known_at)
    sources = {row["key"]: row for row in _rows(conn, "SELECT id, key, title, url, publisher FROM sources")}
    for source in sources.values():
        source["safe_url"] = safe_url(source["url"])
    timeline, total = _timeline(conn, key, as_of, known_at, limit, standing)
    return {
        "entity": entity,
        "aliases": [r["alias"] for r in _rows(
            conn, "SELECT alias FROM entity_aliases WHERE entity = :key ORDER BY alias", key=key)],
        "parent": _one(conn, "SELECT key, name FROM entities WHERE key = :key", key=entity["parent"])
        if entity["parent"] else None,
        "children": _rows(conn, "SELECT key, name, type FROM entities WHERE parent = :key ORDER BY name", key=key),
        "as_of": as_of,
        "known_at": known_at,
        "state": _state(conn, key, as_of, known_at, sources),
        "relationships": _relationships(conn, key, as_of, standing),
        "charts": _charts(key, as_of, standing),
        "timeline": timeline,
        "timeline_total": total,
        "timeline_limit": limit,
    }


def _standing(standing, as_of=None):
    """The events of `standing` ([(event, (status, changed_by))]) that stand, and started by `as_of`."""
    return [event for event, (status, _) in standing
            if status == "current" and not event.get("retracts") and (not as_of or event["valid_from"] <= as_of)]


def _timeline(conn, key, as_of, known_at, limit, standing):
    where = "(t.entity = :key OR t.counterparty = :key)"
    if as_of:
        where += " AND t.valid_from <= :as_of"
    if known_at:
        where += " AND t.reported_on <= :known_at"
    params = {"key": key, "as_of": as_of, "known_at": known_at, "limit": limit}
    total = conn.execute(sa.text(f"SELECT count(*) FROM timeline t WHERE {where}"), params).scalar()
    rows = _rows(conn, f"""
        SELECT t.seq, t.event_id, t.entity, t.entity_name, t.counterparty, t.counterparty_name, t.kind,
               t.date_text, t.valid_from, t.valid_to, t.precision, t.date_note, t.reported_on, t.summary,
               t.attributes, t.quote, t.source_key, t.source_title, t.source_publisher, t.source_url,
               t.supersedes, t.retracts, t.reason, e.source_id
        FROM timeline t
        JOIN events e ON e.seq = t.seq
        WHERE {where}
        ORDER BY t.valid_from DESC, t.valid_to DESC, t.seq DESC
        LIMIT :limit""", **params)
    status = {event["id"]: state for event, state in standing}
    seq_of = {event["id"]: event["seq"] for event, _ in standing}
    targets = [row[name] for row in rows for name in ("supersedes", "retracts") if row[name]]
    changers = [changed_by for _, changed_by in status.values() if changed_by]
    seq_of.update(_seqs(conn, [i for i in targets + changers if i not in seq_of]))
    shown = {row["seq"] for row in rows}
    for row in rows:
        row["period"] = display.period(row["valid_from"], row["valid_to"], row["precision"])
        row["status"], row["changed_by"] = status.get(row["event_id"], ("current", None))
        row["changed_by_seq"] = seq_of.get(row["changed_by"])
        row["target_seq"] = seq_of.get(row["supersedes"] or row["retracts"])
        row["source_safe_url"] = safe_url(row["source_url"])
        row["changed_by_here"] = row["changed_by_seq"] in shown
        row["target_here"] = row["target_seq"] in shown
        row["facts"] = _facts(row["attributes"])
    rows.reverse()  # oldest first: a timeline reads forward
    return rows, total


def _seqs(conn, event_ids):
    if not event_ids:
        return {}
    return dict(conn.execute(sa.text("SELECT id, seq FROM events WHERE id IN :ids")
                             .bindparams(sa.bindparam("ids", expanding=True)), {"ids": list(set(event_ids))}).all())


def _facts(attributes_json):
    """The event's attributes as (name, text) pairs a person reads."""
    try:
        attributes = json.loads(attributes_json) if isinstance(attributes_json, str) else attributes_json
    except (TypeError, ValueError):
        return []
    return [(display.attribute_name(name), display.value(value))
            for name, value in attributes.items() if name != "description"]


def _state(conn, key, as_of, known_at, sources):
    result = queries.state(conn, key, as_of=as_of, known_at=known_at).state
    seqs = _seqs(conn, [entry.event for entry in result.values()])
    return [{
        "key": state_key, "value": display.state_value(entry), "period": entry.period,
        "reported_on": entry.reported_on, "event": entry.event, "seq": seqs.get(entry.event),
        "source": sources.get(entry.source, {"key": entry.source}),
    } for state_key, entry in result.items()]


def _relationships(conn, key, as_of, standing):
    names = dict(conn.execute(sa.text("SELECT key, name FROM entities")).all())
    rows = []
    for event in _standing(standing, as_of):
        if event["kind"] not in RELATION_KINDS or not event.get("counterparty"):
            continue
        for row in rules.relationship_rows(event):
            if row["entity"] != key:
                continue
            rows.append({**row, "counterparty_name": names.get(row["counterparty"], row["counterparty"]),
                         "since_label": display.period(event["valid_from"], event["valid_to"], event["precision"]),
                         "facts": _facts(row["attributes"])})
    return sorted(rows, key=lambda r: (r["since"], r["seq"]))


def _metric_points(key, as_of, standing):
    """The value standing for each metric and period (its latest report), as dicts."""
    points = []
    for event in _standing(standing, as_of):
        if event["entity"] != key or event["kind"] not in CHART_KINDS:
            continue
        value = event["attributes"].get("value")
        if not isinstance(value, dict) or value.get("amount") is None:
            continue
        points.append({"metric": event["attributes"].get("metric"), "unit": value.get("unit"),
                       "precision": event["precision"], "valid_from": event["valid_from"],
                       "valid_to": event["valid_to"], "amount": float(value["amount"]),
                       "qualifier": value.get("qualifier"), "reported_on": event["reported_on"],
                       "seq": event["seq"], "event_id": event["id"]})
    return list(rules.latest_reports(points).values())


def _charts(key, as_of, standing):
    groups = {}
    for point in _metric_points(key, as_of, standing):
        groups.setdefault((point["metric"], point["unit"], point["precision"]), []).append(point)
    found = []
    for (metric, unit, precision), points in groups.items():
        if len(points) < 2:
            continue
        points.sort(key=lambda p: (p["valid_from"], p["valid_to"]))
        found.append((metric, unit, precision, points))
    found.sort(key=lambda g: (g[0] != "revenue", -len(g[3]), g[0], g[1] or "", g[2]))
    result = []
    for index, (metric, unit, precision, points) in enumerate(found[:MAX_CHARTS]):
        cadence = {"quarter": "quarterly", "half": "half-yearly", "year": "yearly", "month": "monthly"}.get(precision, precision)
        title = f"{metric.replace('_', ' ').capitalize()} ({unit}, {cadence})"
        chart = charts.bar_chart(title, unit, [{
            "label": display.period(p["valid_from"], p["valid_to"], p["precision"]),
            "amount": p["amount"],
            "text": display.quantity(p["amount"], unit, p["qualifier"]),
            "qualifier": p["qualifier"], "seq": p["seq"], "event_id": p["event_id"],
        } for p in points], chart_id=f"chart-{index}")
        chart["metric"] = metric
        chart["caption"] = display.metric_description(metric)
        for bar, point in zip(chart["bars"], points[-charts.MAX_BARS:]):
            bar["seq"] = point["seq"]
        result.append(chart)
    return result
