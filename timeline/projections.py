"""The stored projections: kept up to date with the log, rebuilt from it, checked against it.

What the projections hold is defined by `rules.replay`.  `apply` updates the
stored tables for newly appended events and must always agree with a replay
(a hypothesis test checks it); `rebuild` writes a fresh replay in place;
`compare` lists the tables whose stored rows differ from a replay (used by
`timeline verify`).
"""
import sqlalchemy as sa

from . import rules, schema, vocabulary
from .backends import backend_for
from .loading import load_event, load_events

# above this many events in one append, replaying the whole log is cheaper than
# updating row by row
REPLAY_THRESHOLD = 500


def insert_rows(conn, table, rows):
    """INSERT `rows` (dicts; a missing column is NULL) into `table`, many at a time."""
    if not rows:
        return
    names = [c.name for c in table.c]
    backend_for(conn).insert_many(conn, table, (tuple(row.get(name) for name in names) for row in rows))


def write(conn, projection):
    """Replace the contents of the projection tables with `projection`."""
    for table in schema.PROJECTIONS:
        conn.execute(table.delete())
        insert_rows(conn, table, getattr(projection, table.name))


def rebuild(conn, events=None, vocab=None):
    """Replay the whole log and replace the projections with the result.

    Runs inside the caller's write transaction: readers see the old tables
    until it commits and the new ones after, never a mix, which is what
    building side tables and renaming them would give, without re-creating
    indexes and the view that reads event_status.  `events`: the whole log
    in seq order, when the caller already holds it.
    """
    vocab = vocab or vocabulary.for_connection(conn)
    projection = rules.replay(load_events(conn) if events is None else events, vocab)
    write(conn, projection)
    return projection


def apply(conn, new_events, head_before=None, vocab=None):
    """Bring the stored projections up to date with `new_events` (just appended).

    `head_before`, when the caller knows it, is the seq of the last event
    before `new_events`: a bulk replay then reads only those from the log and
    takes the new ones as they are in memory.
    """
    vocab = vocab or vocabulary.for_connection(conn)
    if len(new_events) > REPLAY_THRESHOLD:
        if head_before is None:
            rebuild(conn, vocab=vocab)
        else:
            earlier = load_events(conn, schema.events.c.seq <= head_before) if head_before > 0 else []
            rebuild(conn, earlier + list(new_events), vocab)
        return
    for event in new_events:
        _apply_one(conn, event, vocab)


def _apply_one(conn, event, vocab):
    status_table = schema.event_status
    key = rules.state_key_of(event, vocab)
    conn.execute(status_table.insert(), rules.status_row(event, "current", None, key))
    _apply_standing(conn, event)
    removed, restored = [], []
    target_id = event.get("supersedes") or event.get("retracts")
    if target_id:
        target = load_event(conn, target_id)
        _set_status(conn, target_id, "superseded" if event.get("supersedes") else "retracted", event["id"])
        removed.append(target)
        if event.get("retracts") and target.get("supersedes"):
            corrected = load_event(conn, target["supersedes"])
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
        row = rules.metric_row(new, vocab)
        if row:
            conn.execute(schema.metric_history.insert(), row)
        rows = rules.relationship_rows(new)
        if rows:
            conn.execute(schema.relationships.insert(), rows)
    changed_rows = (rules.metric_row(e, vocab) for e in removed + added)
    for changed in {rules.metric_group(row) for row in changed_rows if row}:
        _reflag(conn, changed)
    # entity_state holds each key's winner with its rank: an event that stops
    # standing matters only if it was the winner (then the key is recomputed
    # from its standing events); one that starts standing only has to beat the
    # winner.  So an append costs the same on a log of any size.
    for gone in removed:
        gone_key = rules.state_key_of(gone, vocab)
        if gone_key is not None and _state_winner(conn, gone["entity"], gone_key)[0] == gone["id"]:
            _recompute_state(conn, gone["entity"], gone_key, vocab)
    for new in added:
        new_key = rules.state_key_of(new, vocab)
        if new_key is None:
            continue
        winner_id, winner_rank = _state_winner(conn, new["entity"], new_key)
        if winner_id is None or rules.rank(new) > winner_rank:
            _set_state(conn, new, new_key, vocab)


def _apply_standing(conn, event):
    """event_standing for a new event: its own span, or its whole cluster's again when it changes one."""
    if not (event.get("supersedes") or event.get("retracts")):
        insert_rows(conn, schema.event_standing, rules.standing_intervals([event]))
        return
    group = _cluster(conn, event)
    table = schema.event_standing
    conn.execute(table.delete().where(table.c.seq.in_([e["seq"] for e in group])))
    insert_rows(conn, table, rules.standing_intervals(group))


def _cluster(conn, event):
    """The events linked to `event` by corrections and retractions (rules.clusters), up to its seq."""
    events = schema.events
    found = {event["id"]: event}
    frontier = {event["id"], event.get("supersedes") or event.get("retracts")}
    while frontier:
        chunk = list(frontier)
        linked = load_events(conn, sa.and_(events.c.seq <= event["seq"], sa.or_(
            events.c.id.in_(chunk), events.c.supersedes.in_(chunk), events.c.retracts.in_(chunk))))
        frontier = set()
        for other in linked:
            if other["id"] not in found:
                found[other["id"]] = other
                frontier.add(other["id"])
            target = other.get("supersedes") or other.get("retracts")
            if target and target not in found:
                frontier.add(target)
    return sorted(found.values(), key=lambda e: e["seq"])


def _set_status(conn, event_id, status, changed_by):
    table = schema.event_status
    conn.execute(table.update().where(table.c.event_id == event_id).values(status=status, changed_by=changed_by))


def _reflag(conn, group):
    table = schema.metric_history
    entity, metric, series, valid_from, valid_to, _ = group
    rows = [dict(r._mapping) for r in conn.execute(sa.select(table).where(
        table.c.entity == entity, table.c.metric == metric, table.c.series == series,
        table.c.valid_from == valid_from, table.c.valid_to == valid_to))]
    rows = [row for row in rows if rules.metric_group(row) == group]
    if not rows:
        return
    before = {row["seq"]: (bool(row["first_reported"]), bool(row["latest"])) for row in rows}
    for row in rules.flag_group(rows):
        if before[row["seq"]] != (row["first_reported"], row["latest"]):
            conn.execute(table.update().where(table.c.seq == row["seq"])
                         .values(first_reported=row["first_reported"], latest=row["latest"]))


def _state_winner(conn, entity, key):
    """(event id, rank) of the stored winner of `key`, or (None, None)."""
    state = schema.entity_state
    row = conn.execute(sa.select(state.c.event_id, state.c.valid_from, state.c.valid_to, state.c.reported_on,
                                 state.c.seq).where(state.c.entity == entity, state.c.key == key)).first()
    return (row[0], tuple(row[1:])) if row else (None, None)


def _set_state(conn, event, key, vocab):
    state = schema.entity_state
    conn.execute(state.delete().where(state.c.entity == event["entity"], state.c.key == key))
    conn.execute(state.insert(), rules.state_row(event, key, vocab))


def _recompute_state(conn, entity, key, vocab):
    status, events, state = schema.event_status, schema.events, schema.entity_state
    candidates = conn.execute(
        sa.select(events.c.valid_from, events.c.valid_to, events.c.reported_on, events.c.seq)
        .join(status, status.c.seq == events.c.seq)
        .where(status.c.entity == entity, status.c.state_key == key, status.c.status == "current")).all()
    conn.execute(state.delete().where(state.c.entity == entity, state.c.key == key))
    if candidates:
        best = max(candidates, key=lambda row: rules.rank(row._mapping))
        winner = load_events(conn, events.c.seq == best.seq)[0]
        conn.execute(state.insert(), rules.state_row(winner, key, vocab))


# ---- checking ----

SORT_KEYS = {
    "event_status": ("seq",),
    "event_standing": ("seq", "known_from"),
    "entity_state": ("entity", "key"),
    "metric_history": ("seq",),
    "relationships": ("event_id", "entity"),
}


def normalised(rows, table_name):
    """Rows as comparable dicts (booleans as bool), in a fixed order."""
    sort_key = SORT_KEYS[table_name]

    def clean(row):
        return {k: (bool(v) if k in ("first_reported", "latest") else v) for k, v in row.items()}
    return sorted((clean(dict(r)) for r in rows), key=lambda r: tuple(r[k] for k in sort_key))


def stored(conn, table):
    return normalised([r._mapping for r in conn.execute(sa.select(table))], table.name)


def compare(conn):
    """Names of the projection tables whose stored rows differ from a replay."""
    projection = rules.replay(load_events(conn), vocabulary.for_connection(conn))
    return [table.name for table in schema.PROJECTIONS
            if stored(conn, table) != normalised(getattr(projection, table.name), table.name)]
