"""What the plugin's pages show, read from a published file (or a live SQLite log).

Plain functions over a SQLAlchemy connection, one per kind of page, so tests
and other front ends can call them without Datasette.  The state table reuses
`timeline.queries.state`; the rest reads the published tables directly:
the `timeline` view, `event_periods`, `metric_history` and the events.

"Known at" pages recompute what stood on that date from the corrections and
retractions reported by then (`statuses_known_at`), the same rule as
projections.statuses, so a later correction never shows in the past.
"""
import json
from dataclasses import dataclass

import sqlalchemy as sa

from .. import projections, queries, schema, vocabulary
from ..errors import TimelineError
from ..publish import display_value, metric_description, period_label
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
    status = StatusAt(conn, known_at)
    sources = {row["key"]: row for row in _rows(conn, "SELECT id, key, title, url, publisher FROM sources")}
    for source in sources.values():
        source["safe_url"] = safe_url(source["url"])
    timeline, total = _timeline(conn, key, as_of, known_at, limit, status)
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
        "relationships": _relationships(conn, key, as_of, known_at, status),
        "charts": _charts(conn, key, as_of, known_at, status),
        "timeline": timeline,
        "timeline_total": total,
        "timeline_limit": limit,
    }


class StatusAt:
    """Whether each event stands: as stored, or as the record stood at `known_at`."""

    def __init__(self, conn, known_at):
        self.known_at = known_at
        self.computed = None
        self.seq_of = {}
        if known_at:
            changers = _rows(conn, """
                SELECT seq, id, supersedes, retracts FROM events
                WHERE reported_on <= :known_at AND (supersedes IS NOT NULL OR retracts IS NOT NULL)
                ORDER BY seq""", known_at=known_at)
            self.computed = projections.statuses(changers)
            self.seq_of = {row["id"]: row["seq"] for row in changers}

    def of(self, event_id, stored_status="current", stored_changed_by=None):
        """(status, changed_by) for an event."""
        if self.computed is None:
            return stored_status or "current", stored_changed_by
        if event_id in self.computed:
            state, changed_by = self.computed[event_id]
            # a changer itself stands unless something reported by then changed it
            return state, changed_by
        return "current", None

    def standing(self, event_id, stored_status="current"):
        return self.of(event_id, stored_status)[0] == "current"


def _timeline(conn, key, as_of, known_at, limit, status):
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
               t.status, t.changed_by, t.supersedes, t.retracts, t.reason,
               p.period, e.source_id, changer.seq AS changed_by_seq, target.seq AS target_seq
        FROM timeline t
        JOIN events e ON e.seq = t.seq
        LEFT JOIN event_periods p ON p.seq = t.seq
        LEFT JOIN events changer ON changer.id = t.changed_by
        LEFT JOIN events target ON target.id = COALESCE(t.supersedes, t.retracts)
        WHERE {where}
        ORDER BY t.valid_from DESC, t.valid_to DESC, t.seq DESC
        LIMIT :limit""", **params)
    shown = {row["seq"] for row in rows}
    for row in rows:
        row["period"] = row["period"] or period_label(row["valid_from"], row["valid_to"], row["precision"])
        row["status"], row["changed_by"] = status.of(row["event_id"], row["status"], row["changed_by"])
        if status.computed is not None:
            row["changed_by_seq"] = status.seq_of.get(row["changed_by"])
        row["source_safe_url"] = safe_url(row["source_url"])
        row["changed_by_here"] = row["changed_by_seq"] in shown
        row["target_here"] = row["target_seq"] in shown
        row["facts"] = _facts(row["attributes"])
    rows.reverse()  # oldest first: a timeline reads forward
    return rows, total


def _facts(attributes_json):
    """The event's attributes as (name, text) pairs a person reads."""
    try:
        attributes = json.loads(attributes_json)
    except (TypeError, ValueError):
        return []
    facts = []
    for name, value in attributes.items():
        if name in ("description",):
            continue
        facts.append((name.replace("_", " "), display_value(value)))
    return facts


def _state(conn, key, as_of, known_at, sources):
    result = queries.state(conn, key, as_of=as_of, known_at=known_at)["state"]
    ids = [entry["event"] for entry in result.values()]
    seqs = {}
    if ids:
        events = schema.events
        seqs = dict(conn.execute(sa.select(events.c.id, events.c.seq).where(events.c.id.in_(ids))).all())
    rows = []
    for state_key, entry in result.items():
        value = entry["value"]
        if entry["unit"]:
            value = {"amount": value, "unit": entry["unit"], **({"qualifier": entry["qualifier"]} if entry["qualifier"] else {})}
        rows.append({
            "key": state_key, "value": display_value(value), "period": entry["period"],
            "reported_on": entry["reported_on"], "event": entry["event"], "seq": seqs.get(entry["event"]),
            "source": sources.get(entry["source"], {"key": entry["source"]}),
        })
    return rows


def _relationships(conn, key, as_of, known_at, status):
    if not RELATION_KINDS:
        return []
    kinds = ", ".join(f"'{kind}'" for kind in RELATION_KINDS)
    where = ["(e.entity = :key OR e.counterparty = :key)", "e.counterparty IS NOT NULL",
             "e.retracts IS NULL", f"e.kind IN ({kinds})"]
    if as_of:
        where.append("e.valid_from <= :as_of")
    if known_at:
        where.append("e.reported_on <= :known_at")
    candidates = _rows(conn, f"""
        SELECT e.seq, e.id, COALESCE(s.status, 'current') AS status FROM events e
        LEFT JOIN event_status s ON s.seq = e.seq WHERE {' AND '.join(where)}""",
                       key=key, as_of=as_of, known_at=known_at)
    standing = [c["seq"] for c in candidates if status.standing(c["id"], c["status"])]
    if not standing:
        return []
    names = dict(conn.execute(sa.text("SELECT key, name FROM entities")).all())
    rows = []
    for event in projections.load_events(conn, schema.events.c.seq.in_(standing)):
        for row in projections.relationship_rows(event):
            if row["entity"] != key:
                continue
            rows.append({**row, "counterparty_name": names.get(row["counterparty"], row["counterparty"]),
                         "since_label": period_label(event["valid_from"], event["valid_to"], event["precision"]),
                         "facts": _facts(row["attributes"])})
    return sorted(rows, key=lambda r: (r["since"], r["seq"]))


def _metric_points(conn, key, as_of, known_at, status):
    """The value standing for each metric and period (the latest report), as dicts."""
    kinds = ", ".join(f"'{kind}'" for kind in CHART_KINDS)
    if not known_at:
        where = f"entity = :key AND latest = 1 AND kind IN ({kinds}) AND amount IS NOT NULL"
        if as_of:
            where += " AND valid_from <= :as_of"
        return _rows(conn, f"""
            SELECT metric, unit, precision, valid_from, valid_to, amount, qualifier, reported_on, seq, event_id
            FROM metric_history WHERE {where}""", key=key, as_of=as_of)
    where = f"entity = :key AND kind IN ({kinds}) AND retracts IS NULL AND reported_on <= :known_at"
    if as_of:
        where += " AND valid_from <= :as_of"
    best = {}
    for row in _rows(conn, f"""
            SELECT seq, id, valid_from, valid_to, precision, reported_on, attributes FROM events
            WHERE {where}""", key=key, as_of=as_of, known_at=known_at):
        if not status.standing(row["id"]):
            continue
        attributes = json.loads(row["attributes"])
        value = attributes.get("value") or {}
        if not isinstance(value, dict) or value.get("amount") is None:
            continue
        point = {"metric": attributes.get("metric"), "unit": value.get("unit"), "precision": row["precision"],
                 "valid_from": row["valid_from"], "valid_to": row["valid_to"], "amount": float(value["amount"]),
                 "qualifier": value.get("qualifier"), "reported_on": row["reported_on"], "seq": row["seq"],
                 "event_id": row["id"]}
        group = (point["metric"], point["valid_from"], point["valid_to"])
        if group not in best or (point["reported_on"], point["seq"]) > (best[group]["reported_on"], best[group]["seq"]):
            best[group] = point
    return list(best.values())


def _charts(conn, key, as_of, known_at, status):
    groups = {}
    for point in _metric_points(conn, key, as_of, known_at, status):
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
            "label": period_label(p["valid_from"], p["valid_to"], p["precision"]),
            "amount": p["amount"],
            "text": display_value({"amount": p["amount"], "unit": unit,
                                   **({"qualifier": p["qualifier"]} if p["qualifier"] else {})}),
            "qualifier": p["qualifier"], "seq": p["seq"], "event_id": p["event_id"],
        } for p in points], chart_id=f"chart-{index}")
        chart["metric"] = metric
        chart["caption"] = metric_description(metric)
        for bar, point in zip(chart["bars"], points[-charts.MAX_BARS:]):
            bar["seq"] = point["seq"]
        result.append(chart)
    return result
