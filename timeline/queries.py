"""Reading a timeline: state as of a date and as known at a date, logs, history.

- as of D (valid time): the standing events whose span started on or before D;
- known at K (publication time): only events, corrections and retractions
  reported on or before K, so a later correction does not leak into the past;
- neither: the stored entity_state projection.
For each state key the winner follows projections.rank.
"""
import json

import sqlalchemy as sa

from . import dates, projections, schema, vocabulary
from .registry import Registry


def resolve(conn, name):
    return Registry(conn).resolve(name)


def state(conn, entity, as_of=None, known_at=None):
    """{'entity', 'as_of', 'known_at', 'state': {key: {...}}} for one entity."""
    if as_of is None and known_at is None:
        table = schema.entity_state
        rows = conn.execute(sa.select(table.c.seq).where(table.c.entity == entity)).scalars().all()
        winners = {e["seq"]: e for e in projections.load_events(conn, schema.events.c.seq.in_(rows))} if rows else {}
        chosen = {projections.state_key_of(e): e for e in winners.values()}
    elif known_at is None:
        chosen = _standing_winners(conn, entity, as_of)
    else:
        events = _known_events(conn, entity, known_at)
        chosen = {}
        for event in events:
            key = projections.state_key_of(event)
            if key is None or event["entity"] != entity or (as_of and event["valid_from"] > as_of):
                continue
            if key not in chosen or projections.rank(event) > projections.rank(chosen[key]):
                chosen[key] = event
    return {
        "entity": entity,
        "as_of": as_of,
        "known_at": known_at,
        "state": {key: state_entry(event, key) for key, event in sorted(chosen.items())},
    }


def state_entry(event, key):
    value = vocabulary.state_value(event["kind"], event["attributes"], event.get("counterparty"))
    quantity = value if isinstance(value, dict) else None
    return {
        "value": quantity["amount"] if quantity else value,
        "unit": quantity["unit"] if quantity else None,
        "qualifier": quantity.get("qualifier") if quantity else None,
        "valid_from": event["valid_from"],
        "valid_to": event["valid_to"],
        "precision": event["precision"],
        "period": dates.label(event["valid_from"], event["valid_to"], event["precision"]),
        "date_text": event["date_text"],
        "reported_on": event["reported_on"],
        "event": event["id"],
        "source": event["source"],
    }


def _standing_winners(conn, entity, as_of):
    """{state key: winner} among the entity's standing events that started by `as_of`.

    The ranks come from the indexed columns alone; only the winners' rows
    are loaded (and their attributes parsed), not the entity's whole history.
    """
    status, events = schema.event_status, schema.events
    query = (sa.select(status.c.state_key, events.c.valid_from, events.c.valid_to, events.c.reported_on, events.c.seq)
             .join(events, events.c.seq == status.c.seq)
             .where(status.c.entity == entity, status.c.status == "current", status.c.state_key.is_not(None)))
    if as_of:
        query = query.where(events.c.valid_from <= as_of)
    best = {}
    for key, *rank in conn.execute(query).tuples().all():
        rank = tuple(rank)  # projections.rank: (valid_from, valid_to, reported_on, seq)
        if key not in best or rank > best[key]:
            best[key] = rank
    key_of = {rank[3]: key for key, rank in best.items()}
    if not key_of:
        return {}
    return {key_of[event["seq"]]: event for event in projections.load_events(conn, events.c.seq.in_(list(key_of)))}


def _known_events(conn, entity, known_at):
    """The entity's events reported by `known_at`, standing as they stood then."""
    events = schema.events
    reported = events.c.reported_on <= known_at
    found = {e["id"]: e for e in projections.load_events(conn, sa.and_(events.c.entity == entity, reported))}
    frontier = list(found)
    while frontier:
        changers = []
        for start in range(0, len(frontier), 500):
            chunk = frontier[start:start + 500]
            changers += projections.load_events(conn, sa.and_(
                reported, sa.or_(events.c.supersedes.in_(chunk), events.c.retracts.in_(chunk))))
        frontier = [e["id"] for e in changers if e["id"] not in found]
        found.update((e["id"], e) for e in changers)
    ordered = sorted(found.values(), key=lambda e: e["seq"])
    status = projections.statuses(ordered)
    return [e for e in ordered if status[e["id"]][0] == "current"]


def log(conn, entity=None, kind=None, limit=None):
    """Timeline rows (the `timeline` view) in order of recording."""
    view = sa.table("timeline", *[sa.column(c) for c in LOG_COLUMNS])
    query = sa.select(view)
    if entity:
        query = query.where(sa.or_(view.c.entity == entity, view.c.counterparty == entity))
    if kind:
        query = query.where(view.c.kind == kind)
    query = query.order_by(view.c.seq)
    if limit:
        query = query.limit(limit)
    rows = []
    for row in conn.execute(query):
        row = dict(row._mapping)
        row["attributes"] = json.loads(row["attributes"])
        row["period"] = dates.label(row["valid_from"], row["valid_to"], row["precision"])
        rows.append(row)
    return rows


LOG_COLUMNS = (
    "seq", "event_id", "entity", "entity_name", "counterparty", "counterparty_name", "kind",
    "date_text", "valid_from", "valid_to", "precision", "date_note", "reported_on", "summary",
    "attributes", "quote", "source_key", "source_title", "source_publisher", "source_url",
    "status", "changed_by", "supersedes", "retracts", "reason", "recorded_at",
)


def history(conn, entity, metric):
    """Every value reported for `metric` (not forecasts), standing or not, by period then report."""
    events, status, mh = schema.events, schema.event_status, schema.metric_history
    found = projections.load_events(conn, sa.and_(events.c.entity == entity,
                                                  events.c.kind.in_(vocabulary.REPORTED_KINDS)))
    found = [e for e in found if e["attributes"].get("metric") == metric]
    statuses = dict(conn.execute(sa.select(status.c.event_id, status.c.status)
                                 .where(status.c.entity == entity)).all())
    flags = {r.event_id: r for r in conn.execute(sa.select(mh.c.event_id, mh.c.first_reported, mh.c.latest)
                                                 .where(mh.c.entity == entity, mh.c.metric == metric))}
    rows = []
    for event in found:
        quantity = event["attributes"].get("value") or {}
        flag = flags.get(event["id"])
        rows.append({
            "period": dates.label(event["valid_from"], event["valid_to"], event["precision"]),
            "valid_from": event["valid_from"], "valid_to": event["valid_to"], "precision": event["precision"],
            "kind": event["kind"], "amount": quantity.get("amount"), "unit": quantity.get("unit"),
            "qualifier": quantity.get("qualifier"), "reported_on": event["reported_on"],
            "status": statuses.get(event["id"], "current"),
            "first_reported": bool(flag and flag.first_reported), "latest": bool(flag and flag.latest),
            "event": event["id"], "source": event["source"],
        })
    return sorted(rows, key=lambda r: (r["valid_from"], r["valid_to"], r["reported_on"], r["event"]))


def entities(conn):
    registry = Registry(conn)
    return [{**{k: e[k] for k in ("key", "name", "type", "parent", "fiscal_year_end", "note")},
             "aliases": sorted(a.alias for a in conn.execute(
                 sa.select(schema.entity_aliases.c.alias).where(schema.entity_aliases.c.entity == key)))}
            for key, e in sorted(registry.entities.items())]


def sources(conn):
    table, events = schema.sources, schema.events
    cited = dict(conn.execute(sa.select(events.c.source_id, sa.func.count()).group_by(events.c.source_id)).all())
    # sorted here, not by ORDER BY: PostgreSQL would order keys by the database's
    # collation (en_US ignores hyphens), SQLite by code point, as Python does
    rows = sorted(conn.execute(sa.select(table)), key=lambda row: row.key)
    return [{**{k: v for k, v in row._mapping.items() if k != "id"}, "events": cited.get(row.id, 0)}
            for row in rows]


def head(conn):
    row = conn.execute(sa.select(schema.events.c.seq, schema.events.c.hash)
                       .order_by(schema.events.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, None)


def export_records(conn):
    """The whole log as export records (bundles.export_records), in seq order."""
    from .bundles import export_records as records

    aliases = {}
    for row in conn.execute(sa.select(schema.entity_aliases).order_by(schema.entity_aliases.c.id)):
        aliases.setdefault(row.entity, []).append(row.alias)
    entity_rows = [dict(r._mapping) for r in conn.execute(sa.select(schema.entities).order_by(schema.entities.c.id))]
    source_rows = [dict(r._mapping) for r in conn.execute(sa.select(schema.sources).order_by(schema.sources.c.id))]
    event_rows = (dict(r._mapping) for r in conn.execute(sa.select(schema.events).order_by(schema.events.c.seq)))
    return list(records(entity_rows, aliases, source_rows, event_rows))
