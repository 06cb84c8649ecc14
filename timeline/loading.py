"""Reading events back from the log tables as the dicts timeline.rules works on.

An event comes back with every column but its hashes, `attributes` parsed,
and `source` the cited source's key.
"""
import json

import sqlalchemy as sa

from . import schema


def event_query():
    events, sources = schema.events, schema.sources
    return sa.select(*[c for c in events.c if c.name not in ("prev_hash", "hash")],
                     sources.c.key.label("source")).join(sources, sources.c.id == events.c.source_id)


def event_from_row(row):
    event = dict(row._mapping)
    event["attributes"] = json.loads(event["attributes"])
    return event


def load_events(conn, where=None):
    """The events matching `where` (all when None), in seq order."""
    query = event_query()
    if where is not None:
        query = query.where(where)
    result = conn.execute(query.order_by(schema.events.c.seq))
    names = list(result.keys())
    # rows as plain tuples zipped with the column names: what event_from_row gives, at a fraction of
    # the cost per row (an entity page reads every event about its entity)
    events = [dict(zip(names, row)) for row in result.all()]
    for event in events:
        event["attributes"] = json.loads(event["attributes"])
    return events


def load_event(conn, event_id):
    """The event `event_id`, or None."""
    found = load_events(conn, schema.events.c.id == event_id)
    return found[0] if found else None


def load_by_ids(conn, ids, chunk=500):
    """{id: event} for the events among `ids`, `chunk` ids a query."""
    ids = list(ids)
    found = {}
    for start in range(0, len(ids), chunk):
        for event in load_events(conn, schema.events.c.id.in_(ids[start:start + chunk])):
            found[event["id"]] = event
    return found


def head(conn):
    """(seq, hash) of the last event, or (0, None) for an empty log."""
    row = conn.execute(sa.select(schema.events.c.seq, schema.events.c.hash)
                       .order_by(schema.events.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, None)
