"""The stored projections: kept up to date with the log, rebuilt from it, checked against it.

What the projections hold is defined by `rules.replay`.  `apply` updates the
stored tables for newly appended events and must always agree with a replay
(a hypothesis test checks it); `rebuild` writes a fresh replay in place;
`compare` lists the tables whose stored rows differ from a replay (used by
`timeline verify`).

`rebuild` and `compare` replay a log of any size in bounded memory (Replay):
the few events that corrections and retractions link are read first (their
statuses and standing spans are rules.statuses' and rules.standing_intervals'
over them alone, since nothing else changes them), then every event streams
past once in seq order; the two rules that look across events go through
the database a group at a time: each state key's winner (rules.rank) over
event_status in (entity, key) order, and each metric period's first and
latest report (rules.flag_group) over metric_history in period order.
"""
import itertools
import operator

import sqlalchemy as sa

from . import rules, schema, vocabulary
from .backends import backend_for
from .loading import event_from_row, event_query, load_event, load_events
from .batches import batched
from .progress import SILENT

# above this many events in one append, replaying the whole log is cheaper than
# updating row by row
REPLAY_THRESHOLD = 500
BATCH = 5000  # events (rows) read, written or compared at a time
CURRENT = ("current", None)
STREAMED = ("event_status", "event_standing", "metric_history", "relationships")  # written as events pass


def insert_rows(conn, table, rows):
    """INSERT `rows` (dicts; a missing column is NULL) into `table`, many at a time."""
    if not rows:
        return
    names = [c.name for c in table.c]
    every = operator.itemgetter(*names)  # the rows rules makes have every column

    def values(row):
        try:
            return every(row)
        except KeyError:
            return tuple(row.get(name) for name in names)
    backend_for(conn).insert_many(conn, table, map(values, rows))


def write(conn, projection):
    """Replace the contents of the projection tables with `projection`."""
    for table in schema.PROJECTIONS:
        conn.execute(table.delete())
        insert_rows(conn, table, getattr(projection, table.name))


def rebuild(conn, events=None, vocab=None, progress=SILENT):
    """Replay the whole log and replace the projections with the result; returns the number of events.

    Runs inside the caller's write transaction: readers see the old tables
    until it commits and the new ones after, never a mix, which is what
    building side tables and renaming them would give, without re-creating
    indexes and the view that reads event_status.  `events`: the whole log
    in seq order, when the caller already holds it (replayed in memory);
    otherwise the log streams from the database (Replay).
    """
    vocab = vocab or vocabulary.for_connection(conn)
    if events is not None:
        write(conn, rules.replay(events, vocab))
        return len(events)
    progress = progress or SILENT
    for table in schema.PROJECTIONS:
        conn.execute(table.delete())
    replay = Replay(conn, vocab)
    insert_rows(conn, schema.event_standing, replay.linked_standing)
    count = 0
    with progress.task("replaying the log into projections", total=_last_seq(conn), unit="events") as task:
        for events_batch in replay.batches():
            rows = replay.rows(events_batch)
            for name in STREAMED:
                insert_rows(conn, schema.metadata.tables[name], rows[name])
            count += len(events_batch)
            task.advance(len(events_batch))
    _derived(conn, replay, progress)
    return count


_COLUMNS = {name: operator.itemgetter(*[c.name for c in schema.metadata.tables[name].c]) for name in STREAMED}


def lone_rows(event, vocab):
    """The rows (tuples, in STREAMED's order) rules.replay gives an event no other event changes:
    its status (current), its standing since its report, its metric report and its relationships."""
    status, standing, metric, relationship = (_COLUMNS[name] for name in STREAMED)
    row = rules.metric_row(event, vocab)
    return ([status(rules.status_row(event, "current", None, rules.state_key_of(event, vocab)))],
            [standing(rules.lone_standing(event))],
            [metric(row)] if row else [],
            [relationship(row) for row in rules.relationship_rows(event)])


class BulkApply:
    """The projections of a bulk import, kept in step a batch at a time without reading the events back.

    `add(events)` writes the rows of events just inserted as rules.replay gives
    them for an event no other event changes (most of them); `finish` then
    corrects what corrections and retractions change: the rows of every event
    they link are written again from the statuses and standing spans of those
    events alone (Replay), and each state key's winner and each period's flags
    are found again (Replay.entity_state, Replay.metric_flags).  The result is a
    replay of the whole log, given that the stored projections were one before
    the import (`timeline verify` checks that they are).

    On a log that was empty, the plain indexes of the projections are dropped
    while their rows go in and made again at the end (Backend.drop_indexes).
    """

    def __init__(self, conn, vocab, empty_log=False):
        self.conn, self.vocab = conn, vocab
        backend = backend_for(conn)
        self.dropped = backend.drop_indexes(conn, schema.PROJECTIONS) if empty_log else []

    def add(self, events):
        """Write the projections of `events` (just inserted), each as lone_rows gives them (or as an
        event carries them in "_rows", worked out with its seq by the process that prepared it)."""
        vocab, rows = self.vocab, tuple([] for _ in STREAMED)
        for event in events:
            for found, more in zip(rows, event.get("_rows") or lone_rows(event, vocab)):
                found.extend(more)
        backend = backend_for(self.conn)
        for name, values in zip(STREAMED, rows):
            if values:
                backend.insert_many(self.conn, schema.metadata.tables[name], values)

    def finish(self, progress=SILENT):
        conn = self.conn
        replay = Replay(conn, self.vocab)
        seqs = sorted(replay.linked_seqs)
        backend_for(conn).restore_indexes(conn, self.dropped)
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            linked = load_events(conn, schema.events.c.seq.in_(chunk))
            for name in STREAMED:
                table = schema.metadata.tables[name]
                if "seq" in table.primary_key.columns:
                    conn.execute(table.delete().where(table.c.seq.in_(chunk)))
                else:  # (relationships: found by the event id, which is indexed)
                    conn.execute(table.delete().where(table.c.event_id.in_([event["id"] for event in linked])))
            rows = replay.rows(linked)
            for name in STREAMED:
                insert_rows(conn, schema.metadata.tables[name], rows[name])
        insert_rows(conn, schema.event_standing, replay.linked_standing)
        conn.execute(schema.entity_state.delete())
        _derived(conn, replay, progress)


def _derived(conn, replay, progress):
    """entity_state (empty when called) and the metric flags, from the rows written."""
    with progress.task("state keys and latest reports", total=None, unit="rows") as task:
        for state_rows in replay.entity_state():
            insert_rows(conn, schema.entity_state, state_rows)
            task.advance(len(state_rows))
        updates = []
        for row, first, latest in replay.metric_flags():
            if (bool(row["first_reported"]), bool(row["latest"])) != (first, latest):
                updates.append({"s": row["seq"], "f": first, "l": latest})
                if len(updates) >= BATCH:
                    _set_flags(conn, updates)
                    task.advance(len(updates))
                    updates = []
        _set_flags(conn, updates)


def _set_flags(conn, updates):
    if updates:
        table = schema.metric_history
        conn.execute(table.update().where(table.c.seq == sa.bindparam("s"))
                     .values(first_reported=sa.bindparam("f"), latest=sa.bindparam("l")), updates)


def _last_seq(conn):
    return conn.execute(sa.select(sa.func.max(schema.events.c.seq))).scalar() or 0


class Replay:
    """rules.replay over a log of any size, streamed from the database in seq order.

    - `linked_standing` and the statuses: the events that corrections and
      retractions link (every changer and what it changes, a small part of a
      log), read first as the columns those rules look at;
    - `rows(events)`: the event_status, event_standing, metric_history (flags
      unset) and relationships rows of a batch of events, in seq order;
    - `entity_state()`: the entity_state rows, a chunk at a time, in (entity,
      key) order, from event_status as written (rebuild) or verified (compare);
    - `metric_flags()`: (metric_history row, first_reported, latest) for every
      stored metric row, by rules.flag_group over each period's rows.
    """

    def __init__(self, conn, vocab):
        self.conn, self.vocab = conn, vocab
        linked = _linked(conn)
        self.status = {event_id: status for event_id, status in rules.statuses(linked).items() if status != CURRENT}
        self.linked_standing = rules.standing_intervals(linked)
        self.linked_seqs = {event["seq"] for event in linked}

    def batches(self):
        """The whole log in seq order, BATCH events at a time (rules' event dicts)."""
        result = _stream(self.conn, event_query().order_by(schema.events.c.seq))
        for rows in result.partitions(BATCH):
            yield [event_from_row(row) for row in rows]

    def rows(self, events):
        vocab, status, linked = self.vocab, self.status, self.linked_seqs
        out = {name: [] for name in STREAMED}
        status_rows, standing_rows, metric_rows, relationship_rows = (out[name] for name in STREAMED)
        for event in events:
            key = rules.state_key_of(event, vocab)
            state, changed_by = status.get(event["id"], CURRENT)
            status_rows.append(rules.status_row(event, state, changed_by, key))
            if event["seq"] not in linked:
                standing_rows.append(rules.lone_standing(event))
            if state != "current":
                continue
            row = rules.metric_row(event, vocab)
            if row:
                metric_rows.append(row)
            relationship_rows.extend(rules.relationship_rows(event))
        return out

    def winners(self):
        """(state key, winner) for each entity's state keys, in (entity, key) order: of the standing
        events with that key (event_status), the greatest by rules.rank; the winner as the columns
        rules.state_row reads.  The database sorts each key's candidates by rules.RANK, the columns
        rules.rank compares, and hands back the first: one pass in its own order, not a lookup per row."""
        status, events, sources = schema.event_status, schema.events, schema.sources
        place = sa.func.row_number().over(partition_by=(status.c.entity, status.c.state_key),
                                          order_by=[events.c[name].desc() for name in rules.RANK]).label("place")
        candidates = (sa.select(status.c.entity.label("key_entity"), status.c.state_key, events.c.seq, place)
                      .join(events, events.c.seq == status.c.seq)
                      .where(status.c.status == "current", status.c.state_key.is_not(None))).subquery()
        query = (sa.select(candidates.c.state_key, *[events.c[name] for name in rules.RANK], events.c.entity,
                           events.c.id, events.c.kind, events.c.precision, events.c.counterparty,
                           events.c.attributes, sources.c.key.label("source"))
                 .select_from(candidates)
                 .join(events, events.c.seq == candidates.c.seq)
                 .join(sources, sources.c.id == events.c.source_id)
                 .where(candidates.c.place == 1)
                 .order_by(candidates.c.key_entity, candidates.c.state_key))
        for row in _stream(self.conn, query):
            yield row.state_key, row

    def entity_state(self):
        """Lists of entity_state rows, in (entity, key) order."""
        for chunk in batched(self.winners(), 1000):
            yield [rules.state_row(event_from_row(row), key, self.vocab) for key, row in chunk]

    def metric_flags(self):
        """(stored metric_history row, first_reported, latest) for every row, a reporting period at a time
        (the row as the columns rules.metric_group and rules.flag_group read, and its stored flags)."""
        table = schema.metric_history
        names = ("entity", "metric", "series", "valid_from", "valid_to", "value", "reported_on", "seq",
                 "first_reported", "latest")
        query = sa.select(*[table.c[name] for name in names]).order_by(
            table.c.entity, table.c.metric, table.c.series, table.c.valid_from, table.c.valid_to)
        period, group = None, {}
        for values in _stream(self.conn, query):
            if values[:5] != period:
                yield from _flagged(group)
                period, group = values[:5], {}
            row = dict(zip(names, values))
            group.setdefault(rules.metric_group(row), []).append(row)  # a level and a change: two groups
        yield from _flagged(group)


def _flagged(groups):
    for rows in groups.values():
        stored = [(row["first_reported"], row["latest"]) for row in rows]
        for row, (first, latest) in zip(rules.flag_group(rows), stored):
            flags = row["first_reported"], row["latest"]
            row["first_reported"], row["latest"] = first, latest
            yield row, *flags


def _linked(conn):
    """The events corrections and retractions link (each changer and what it changes), in seq order, as
    the columns rules.statuses and rules.standing_intervals read."""
    events = schema.events
    columns = (events.c.seq, events.c.id, events.c.entity, events.c.reported_on, events.c.supersedes,
               events.c.retracts)
    found = {}
    changers = sa.select(*columns).where(sa.or_(events.c.supersedes.is_not(None), events.c.retracts.is_not(None)))
    for row in conn.execute(changers):
        found[row.id] = dict(row._mapping)
    targets = sorted({event["supersedes"] or event["retracts"] for event in found.values()} - set(found))
    for start in range(0, len(targets), 500):
        for row in conn.execute(sa.select(*columns).where(events.c.id.in_(targets[start:start + 500]))):
            found[row.id] = dict(row._mapping)
    return sorted(found.values(), key=lambda event: event["seq"])


def _stream(conn, query):
    # (options of the statement: on the connection they would stay for every later statement)
    return conn.execute(query.execution_options(stream_results=True, yield_per=BATCH))



def apply(conn, new_events, vocab=None):
    """Bring the stored projections up to date with `new_events` (just appended, in the log)."""
    vocab = vocab or vocabulary.for_connection(conn)
    if len(new_events) > REPLAY_THRESHOLD:
        rebuild(conn, vocab=vocab)
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


def compare(conn, progress=SILENT):
    """Names of the projection tables whose stored rows differ from a replay (in schema.PROJECTIONS order).

    Streams like `rebuild`: each table's stored rows are read in seq order beside
    the replay's.  entity_state is checked only when event_status agrees, and
    the metric flags only when metric_history's other columns do (both are
    computed from those stored rows).
    """
    progress = progress or SILENT
    replay = Replay(conn, vocabulary.for_connection(conn))
    differing = set()
    linked = {}
    for row in replay.linked_standing:
        linked.setdefault(row["seq"], []).append(row)
    stored_rows = {name: _by_seq(conn, schema.metadata.tables[name]) for name in STREAMED}
    with progress.task("checking the projections against a replay", total=_last_seq(conn), unit="events") as task:
        for events_batch in replay.batches():
            rows = replay.rows(events_batch)
            last = events_batch[-1]["seq"]
            for event in events_batch:
                rows["event_standing"].extend(linked.pop(event["seq"], []))
            for name in STREAMED:
                if name not in differing and not _same(name, rows[name], stored_rows[name].upto(last)):
                    differing.add(name)
            task.advance(len(events_batch))
    for name in STREAMED:
        if name not in differing and (linked and name == "event_standing" or stored_rows[name].upto(None)):
            differing.add(name)  # rows of seqs the log does not hold
    if "event_status" not in differing:
        stored_state = (dict(row._mapping) for row in _stream(conn, sa.select(schema.entity_state).order_by(
            schema.entity_state.c.entity, schema.entity_state.c.key)))
        expected = (row for rows in replay.entity_state() for row in rows)
        if any(_clean(a) != _clean(b) for a, b in itertools.zip_longest(expected, stored_state, fillvalue={})):
            differing.add("entity_state")
    if "metric_history" not in differing:
        if any((bool(row["first_reported"]), bool(row["latest"])) != (first, latest)
               for row, first, latest in replay.metric_flags()):
            differing.add("metric_history")
    return [table.name for table in schema.PROJECTIONS if table.name in differing]


FLAGS = ("first_reported", "latest")


def _clean(row):
    return {k: (bool(v) if k in FLAGS else v) for k, v in row.items()}


def _same(name, expected, found):
    """The rows of one seq range: equal as normalised rows (metric_history without its flags)."""
    def key(rows):
        rows = [{k: v for k, v in _clean(row).items() if not (name == "metric_history" and k in FLAGS)}
                for row in rows]
        return sorted(rows, key=lambda r: tuple(str(r[k]) for k in SORT_KEYS[name]))
    return key(expected) == key(found)


class _by_seq:
    """A table's stored rows in seq order, handed out a seq range at a time."""

    def __init__(self, conn, table):
        self.rows = (dict(row._mapping) for row in _stream(conn, sa.select(table).order_by(table.c.seq)))
        self.next = next(self.rows, None)

    def upto(self, last):
        """The rows with seq <= `last` not handed out yet (all that are left, for None)."""
        found = []
        while self.next is not None and (last is None or self.next["seq"] <= last):
            found.append(self.next)
            self.next = next(self.rows, None)
        return found
