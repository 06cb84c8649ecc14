"""Projections: the state derived from the log, never edited by hand.

`replay` is the definition: a pure function from the events, in seq order, to
the rows of every projection table.  `apply` updates the stored tables for
newly appended events and must always agree with a replay (a hypothesis test
checks it); `rebuild` writes a fresh replay and swaps it in; `compare` lists
where the stored tables differ from a replay (used by `timeline verify`).

Rules shared by both paths:
- an event stands (`current`) unless a standing event supersedes or retracts
  it; retracting a correction lets the corrected event stand again;
- for each entity and state key the winner is the standing event with the
  greatest (valid_from, valid_to, reported_on, seq);
- in metric_history, per entity, metric and period, `first_reported` marks the
  least (reported_on, seq) and `latest` the greatest.
"""
import itertools
import json
import operator
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import schema, vocabulary
from .chain import canonical_json

# above this many events in one append, replaying the whole log is cheaper than
# updating row by row
REPLAY_THRESHOLD = 500


def rank(event):
    return (event["valid_from"], event["valid_to"], event["reported_on"], event["seq"])


def report_order(event):
    return (event["reported_on"], event["seq"])


def state_key_of(event):
    if "_state_key" in event:  # worked out once when the store staged the event
        return event["_state_key"]
    if event.get("retracts"):
        return None
    return vocabulary.state_key(event["kind"], event["attributes"], event.get("counterparty"),
                                event["valid_from"], event["valid_to"], event["precision"])


# ---- the rows each projection holds for one standing event ----

def state_row(event, key):
    value = vocabulary.state_value(event["kind"], event["attributes"], event.get("counterparty"))
    quantity = value if isinstance(value, dict) else None
    return {
        "entity": event["entity"], "key": key, "value": canonical_json(value),
        "amount": float(quantity["amount"]) if quantity else None,
        "unit": quantity["unit"] if quantity else None,
        "valid_from": event["valid_from"], "valid_to": event["valid_to"],
        "precision": event["precision"], "reported_on": event["reported_on"],
        "event_id": event["id"], "source_key": event["source"], "seq": event["seq"],
    }


def metric_row(event):
    """The metric_history row of an event, flags unset, or None."""
    attributes = event["attributes"]
    if event.get("retracts") or event["kind"] not in vocabulary.REPORTED_KINDS:
        return None
    quantity = attributes.get("value")
    return {
        "seq": event["seq"], "entity": event["entity"], "metric": attributes["metric"],
        "kind": event["kind"], "valid_from": event["valid_from"], "valid_to": event["valid_to"],
        "precision": event["precision"], "date_text": event["date_text"],
        "amount": float(quantity["amount"]) if quantity else None,
        "unit": quantity["unit"] if quantity else None,
        "qualifier": quantity.get("qualifier") if quantity else None,
        "reported_on": event["reported_on"], "event_id": event["id"], "source_key": event["source"],
        "first_reported": False, "latest": False,
    }


def relationship_rows(event):
    roles = None if event.get("retracts") else vocabulary.relation(event["kind"])
    if not roles or not event.get("counterparty"):
        return []
    common = {
        "kind": event["kind"], "since": event["valid_from"], "precision": event["precision"],
        "attributes": canonical_json(event["attributes"]), "event_id": event["id"],
        "source_key": event["source"], "seq": event["seq"],
    }
    return [
        {"entity": event["entity"], "counterparty": event["counterparty"], "role": roles[0], **common},
        {"entity": event["counterparty"], "counterparty": event["entity"], "role": roles[1], **common},
    ]


def flag_group(rows):
    """Set first_reported/latest on the metric rows of one (entity, metric, period)."""
    first = min(rows, key=report_order)
    latest = max(rows, key=report_order)
    for row in rows:
        row["first_reported"] = row is first
        row["latest"] = row is latest
    return rows


def metric_group(row):
    return (row["entity"], row["metric"], row["valid_from"], row["valid_to"])


# ---- replay: the definition ----

@dataclass
class Projection:
    event_status: list = field(default_factory=list)
    entity_state: list = field(default_factory=list)
    metric_history: list = field(default_factory=list)
    relationships: list = field(default_factory=list)


def statuses(events):
    """{event id: (status, changed_by)} after the events, in seq order."""
    status, by_id = {}, {}
    for event in events:
        by_id[event["id"]] = event
        status[event["id"]] = ("current", None)
        if event.get("supersedes"):
            status[event["supersedes"]] = ("superseded", event["id"])
        if event.get("retracts"):
            status[event["retracts"]] = ("retracted", event["id"])
            target = by_id.get(event["retracts"], {})
            if target.get("supersedes") and status.get(target["supersedes"]) == ("superseded", target["id"]):
                status[target["supersedes"]] = ("current", None)
    return status


def replay(events):
    """Every projection row, from the events alone (a list in seq order)."""
    status = statuses(events)
    projection = Projection()
    winners, groups = {}, {}
    for event in events:
        key = state_key_of(event)
        state, changed_by = status[event["id"]]
        projection.event_status.append({
            "seq": event["seq"], "event_id": event["id"], "entity": event["entity"],
            "status": state, "changed_by": changed_by, "state_key": key,
        })
        if state != "current":
            continue
        if key is not None:
            best = winners.get((event["entity"], key))
            if best is None or rank(event) > rank(best):
                winners[(event["entity"], key)] = event
        row = metric_row(event)
        if row:
            groups.setdefault(metric_group(row), []).append(row)
        projection.relationships.extend(relationship_rows(event))
    projection.entity_state = [state_row(event, key) for (_, key), event in winners.items()]
    projection.metric_history = [row for rows in groups.values() for row in flag_group(rows)]
    return projection


# ---- reading events back from the log ----

def _event_query():
    events, sources = schema.events, schema.sources
    return sa.select(*[c for c in events.c if c.name not in ("prev_hash", "hash")],
                     sources.c.key.label("source")).join(sources, sources.c.id == events.c.source_id)


def event_from_row(row):
    event = dict(row._mapping)
    event["attributes"] = json.loads(event["attributes"])
    return event


def load_events(conn, where=None):
    query = _event_query()
    if where is not None:
        query = query.where(where)
    return [event_from_row(row) for row in conn.execute(query.order_by(schema.events.c.seq))]


# ---- writing ----

def insert_values(conn, table, values, chunk=20000):
    """INSERT `values` (an iterable of tuples in the order of table.c), `chunk` rows at a time.

    A generator is consumed a chunk at a time, so a million rows need not
    exist as tuples at once.
    """
    names = [c.name for c in table.c]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    values = iter(values)
    while True:
        batch = list(itertools.islice(values, chunk))
        if not batch:
            return
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(sql, batch)
        else:
            conn.execute(table.insert(), [dict(zip(names, row)) for row in batch])


def insert_rows(conn, table, rows, chunk=20000):
    """INSERT `rows` (dicts) into `table`, many at a time.

    On SQLite straight through the driver's executemany: SQLAlchemy's
    per-row parameter processing costs as much as the insert itself, and
    sqlite3 stores str, int, float, bool and None as they are.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        for start in range(0, len(rows), chunk):
            conn.execute(table.insert(), rows[start:start + chunk])
        return
    names = [c.name for c in table.c]
    try:
        get = operator.itemgetter(*names)
        values = [get(row) for row in rows]
    except KeyError:  # rows that leave some columns out: those are NULL
        values = [tuple(row.get(name) for name in names) for row in rows]
    insert_values(conn, table, values, chunk)


def write(conn, projection):
    """Replace the contents of the projection tables with `projection`."""
    for table in schema.PROJECTIONS:
        conn.execute(table.delete())
        insert_rows(conn, table, getattr(projection, table.name))


def rebuild(conn, events=None):
    """Replay the whole log and replace the projections with the result.

    Runs inside the caller's write transaction: readers see the old tables
    until it commits and the new ones after, never a mix, which is what
    building side tables and renaming them would give, without re-creating
    indexes and the view that reads event_status.  `events`: the whole log
    in seq order, when the caller already holds it.
    """
    projection = replay(load_events(conn) if events is None else events)
    write(conn, projection)
    return projection


def apply(conn, new_events, head_before=None):
    """Bring the stored projections up to date with `new_events` (just appended).

    `head_before`, when the caller knows it, is the seq of the last event
    before `new_events`: a bulk replay then reads only those from the log and
    takes the new ones as they are in memory.
    """
    if len(new_events) > REPLAY_THRESHOLD:
        if head_before is None:
            rebuild(conn)
        else:
            earlier = load_events(conn, schema.events.c.seq <= head_before) if head_before > 0 else []
            rebuild(conn, earlier + list(new_events))
        return
    for event in new_events:
        _apply_one(conn, event)


def _apply_one(conn, event):
    status_table = schema.event_status
    key = state_key_of(event)
    conn.execute(status_table.insert(), {
        "seq": event["seq"], "event_id": event["id"], "entity": event["entity"],
        "status": "current", "changed_by": None, "state_key": key,
    })
    removed, restored = [], []
    target_id = event.get("supersedes") or event.get("retracts")
    if target_id:
        target = _load_event(conn, target_id)
        _set_status(conn, target_id, "superseded" if event.get("supersedes") else "retracted", event["id"])
        removed.append(target)
        if event.get("retracts") and target.get("supersedes"):
            corrected = _load_event(conn, target["supersedes"])
            status = conn.execute(sa.select(status_table.c.status, status_table.c.changed_by)
                                  .where(status_table.c.event_id == corrected["id"])).one()
            if tuple(status) == ("superseded", target["id"]):
                _set_status(conn, corrected["id"], "current", None)
                restored.append(corrected)
    added = [event] + restored if not event.get("retracts") else restored
    for gone in removed:
        conn.execute(schema.metric_history.delete().where(schema.metric_history.c.event_id == gone["id"]))
        conn.execute(schema.relationships.delete().where(schema.relationships.c.event_id == gone["id"]))
    for new in added:
        row = metric_row(new)
        if row:
            conn.execute(schema.metric_history.insert(), row)
        rows = relationship_rows(new)
        if rows:
            conn.execute(schema.relationships.insert(), rows)
    for changed in {metric_group(r) for r in map(metric_row, removed + added) if r}:
        _reflag(conn, changed)
    # entity_state holds each key's winner with its rank: an event that stops
    # standing matters only if it was the winner (then the key is recomputed
    # from its standing events); one that starts standing only has to beat the
    # winner.  So an append costs the same on a log of any size.
    for gone in removed:
        gone_key = state_key_of(gone)
        if gone_key is not None and _state_winner(conn, gone["entity"], gone_key)[0] == gone["id"]:
            _recompute_state(conn, gone["entity"], gone_key)
    for new in added:
        new_key = state_key_of(new)
        if new_key is None:
            continue
        winner_id, winner_rank = _state_winner(conn, new["entity"], new_key)
        if winner_id is None or rank(new) > winner_rank:
            _set_state(conn, new, new_key)


def _set_status(conn, event_id, status, changed_by):
    table = schema.event_status
    conn.execute(table.update().where(table.c.event_id == event_id).values(status=status, changed_by=changed_by))


def _load_event(conn, event_id):
    return load_events(conn, schema.events.c.id == event_id)[0]


def _reflag(conn, group):
    table = schema.metric_history
    entity, metric, valid_from, valid_to = group
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table).where(
        table.c.entity == entity, table.c.metric == metric,
        table.c.valid_from == valid_from, table.c.valid_to == valid_to))]
    if not rows:
        return
    before = {row["seq"]: (bool(row["first_reported"]), bool(row["latest"])) for row in rows}
    for row in flag_group(rows):
        if before[row["seq"]] != (row["first_reported"], row["latest"]):
            conn.execute(table.update().where(table.c.seq == row["seq"])
                         .values(first_reported=row["first_reported"], latest=row["latest"]))


def _state_winner(conn, entity, key):
    """(event id, rank) of the stored winner of `key`, or (None, None)."""
    state = schema.entity_state
    row = conn.execute(sa.select(state.c.event_id, state.c.valid_from, state.c.valid_to, state.c.reported_on,
                                 state.c.seq).where(state.c.entity == entity, state.c.key == key)).first()
    return (row[0], tuple(row[1:])) if row else (None, None)


def _set_state(conn, event, key):
    state = schema.entity_state
    conn.execute(state.delete().where(state.c.entity == event["entity"], state.c.key == key))
    conn.execute(state.insert(), state_row(event, key))


def _recompute_state(conn, entity, key):
    status, events, state = schema.event_status, schema.events, schema.entity_state
    winner_seq = conn.execute(
        sa.select(events.c.seq).join(status, status.c.seq == events.c.seq)
        .where(status.c.entity == entity, status.c.state_key == key, status.c.status == "current")
        .order_by(events.c.valid_from.desc(), events.c.valid_to.desc(),
                  events.c.reported_on.desc(), events.c.seq.desc())
        .limit(1)
    ).scalar()
    conn.execute(state.delete().where(state.c.entity == entity, state.c.key == key))
    if winner_seq is not None:
        winner = load_events(conn, events.c.seq == winner_seq)[0]
        conn.execute(state.insert(), state_row(winner, key))


# ---- checking ----

SORT_KEYS = {
    "event_status": ("seq",),
    "entity_state": ("entity", "key"),
    "metric_history": ("seq",),
    "relationships": ("event_id", "entity"),
}


def _normalised(rows, sort_key):
    def clean(row):
        return {k: (bool(v) if k in ("first_reported", "latest") else v) for k, v in row.items()}
    return sorted((clean(dict(r)) for r in rows), key=lambda r: tuple(r[k] for k in sort_key))


def compare(conn):
    """Names of the projection tables whose stored rows differ from a replay."""
    projection = replay(load_events(conn))
    differing = []
    for table in schema.PROJECTIONS:
        stored = [r._mapping for r in conn.execute(sa.select(table))]
        expected = getattr(projection, table.name)
        if _normalised(stored, SORT_KEYS[table.name]) != _normalised(expected, SORT_KEYS[table.name]):
            differing.append(table.name)
    return differing
