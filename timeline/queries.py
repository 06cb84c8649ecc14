"""Reading a timeline: state as of a date and as known at a date, logs, history, listings.

- as of D (valid time): the standing events whose span started on or before D;
- known at K (publication time): only events, corrections and retractions
  reported on or before K, so a later correction does not leak into the past;
- neither: the stored entity_state projection.
The rules (standing, ranking) are timeline.rules'; this module only finds the
rows they need.  Each function takes a SQLAlchemy connection: the live log or
a published file.
"""
import json

import sqlalchemy as sa

from . import display, rules, schema, vocabulary
from .loading import load_events
from .registry import lookup
from .results import EntityRecord, HistoryEntry, LogEntry, SourceRecord, State, StateEntry


def resolve(conn, name):
    """The key of the entity called `name` (key, name or alias, any case), found through the indexes."""
    return lookup(conn, name)


def state(conn, entity, as_of=None, known_at=None):
    """The State of `entity` (a key), now or as of / as known at a date (ISO text)."""
    if as_of is None and known_at is None:
        table = schema.entity_state
        key_of = dict(conn.execute(sa.select(table.c.seq, table.c.key).where(table.c.entity == entity)).all())
        chosen = {key_of[e["seq"]]: e for e in load_events(conn, schema.events.c.seq.in_(list(key_of)))} if key_of else {}
    else:
        chosen = _winners(conn, entity, as_of, known_at)
    vocab = vocabulary.for_connection(conn)
    return State(entity, as_of, known_at,
                 {key: state_entry(event, vocab) for key, event in sorted(chosen.items())})


def state_entry(event, vocab=None):
    """The StateEntry an event gives its key: a figure as value, unit and qualifier; anything else
    (a range, an outcome, a change, text) as the value itself."""
    value = rules.state_value(event, vocab)
    quantity = value if isinstance(value, dict) and "amount" in value else None
    return StateEntry(
        value=quantity["amount"] if quantity else value,
        unit=quantity["unit"] if quantity else None,
        qualifier=quantity.get("qualifier") if quantity else None,
        valid_from=event["valid_from"], valid_to=event["valid_to"], precision=event["precision"],
        period=display.period(event["valid_from"], event["valid_to"], event["precision"]),
        date_text=event["date_text"], reported_on=event["reported_on"],
        event=event["id"], source=event["source"],
    )


def standing_at(known_at):
    """The condition on event_standing rows for "stands as known at `known_at`"."""
    standing = schema.event_standing
    return sa.and_(standing.c.status == "current", standing.c.known_from <= known_at,
                   sa.or_(standing.c.known_until.is_(None), standing.c.known_until > known_at))


def _winners(conn, entity, as_of=None, known_at=None):
    """{state key: winner} among the entity's events standing (now, or as known at `known_at`)
    whose span started by `as_of`.

    The ranks come from the indexed columns alone; only the winners' rows
    are loaded (and their attributes parsed), not the entity's whole history.
    """
    status, events = schema.event_status, schema.events
    query = (sa.select(status.c.state_key, events.c.valid_from, events.c.valid_to, events.c.reported_on, events.c.seq)
             .join(events, events.c.seq == status.c.seq)
             .where(status.c.entity == entity, status.c.state_key.is_not(None)))
    if known_at is None:
        query = query.where(status.c.status == "current")
    else:
        query = query.join(schema.event_standing, schema.event_standing.c.seq == events.c.seq).where(standing_at(known_at))
    if as_of:
        query = query.where(events.c.valid_from <= as_of)
    best = {}
    for row in conn.execute(query):
        if row.state_key not in best or rules.rank(row._mapping) > rules.rank(best[row.state_key]._mapping):
            best[row.state_key] = row
    key_of = {row.seq: key for key, row in best.items()}
    if not key_of:
        return {}
    return {key_of[event["seq"]]: event for event in load_events(conn, events.c.seq.in_(list(key_of)))}


def events_about(conn, entity, known_at=None):
    """[(event, (status, changed_by))] for every event about `entity` (as entity or counterparty),
    in seq order: as the record stands now, or as it stood at `known_at` (only what was reported by then)."""
    events = schema.events
    about = sa.or_(events.c.entity == entity, events.c.counterparty == entity)
    if known_at is None:
        status = schema.event_status
        query = sa.select(status.c.event_id, status.c.status, status.c.changed_by).join(events, events.c.seq == status.c.seq)
    else:
        status = schema.event_standing
        query = (sa.select(status.c.event_id, status.c.status, status.c.changed_by)
                 .join(events, events.c.seq == status.c.seq)
                 .where(status.c.known_from <= known_at,
                        sa.or_(status.c.known_until.is_(None), status.c.known_until > known_at)))
        about = sa.and_(about, events.c.reported_on <= known_at)
    stored = {event_id: (status, changed_by) for event_id, status, changed_by in conn.execute(query.where(about)).all()}
    return [(event, stored.get(event["id"], ("current", None))) for event in load_events(conn, about)]


TIMELINE_VIEW = sa.table("timeline", *[sa.column(name) for name in (
    "seq", "event_id", "entity", "entity_name", "counterparty", "counterparty_name", "kind",
    "date_text", "valid_from", "valid_to", "precision", "date_note", "reported_on", "summary",
    "attributes", "quote", "source_key", "source_title", "source_publisher", "source_url",
    "status", "changed_by", "supersedes", "retracts", "reason", "recorded_at")])


def log_entry(row):
    row = dict(row._mapping)
    row["attributes"] = json.loads(row["attributes"])
    return LogEntry(**row, period=display.period(row["valid_from"], row["valid_to"], row["precision"]))


def log(conn, entity=None, kind=None, limit=None):
    """LogEntry rows (the `timeline` view) in order of recording."""
    view = TIMELINE_VIEW
    query = sa.select(view)
    if entity:
        query = query.where(sa.or_(view.c.entity == entity, view.c.counterparty == entity))
    if kind:
        query = query.where(view.c.kind == kind)
    query = query.order_by(view.c.seq)
    if limit:
        query = query.limit(limit)
    return [log_entry(row) for row in conn.execute(query)]


def history(conn, entity, metric):
    """Every value reported for `metric` (not forecasts), standing or not, by series, period, then report.

    A loss metric and its signed opposite are one history (net_loss is
    net_income with the sign turned), as in metric_history.
    """
    events, status, mh = schema.events, schema.event_status, schema.metric_history
    vocab = vocabulary.for_connection(conn)
    wanted = vocab.canonical(metric)[0]
    statuses = dict(conn.execute(sa.select(status.c.event_id, status.c.status)
                                 .where(status.c.entity == entity)).all())
    flags = {r.event_id: r for r in conn.execute(sa.select(mh.c.event_id, mh.c.first_reported, mh.c.latest)
                                                 .where(mh.c.entity == entity, mh.c.metric == wanted))}
    rows = []
    for event in load_events(conn, sa.and_(events.c.entity == entity, events.c.kind.in_(vocabulary.REPORTED_KINDS))):
        reported = rules.metric_row(event, vocab)
        if reported is None or reported["metric"] != wanted:
            continue
        flag = flags.get(event["id"])
        rows.append(HistoryEntry(
            period=display.period(event["valid_from"], event["valid_to"], event["precision"]),
            series=reported["series"], valid_from=event["valid_from"], valid_to=event["valid_to"],
            precision=event["precision"], kind=event["kind"], metric=event["attributes"]["metric"],
            value=json.loads(reported["value"]), amount=_number(reported["amount"]), unit=reported["unit"],
            qualifier=reported["qualifier"], reported_on=event["reported_on"],
            status=statuses.get(event["id"], "current"),
            first_reported=bool(flag and flag.first_reported), latest=bool(flag and flag.latest),
            event=event["id"], source=event["source"],
        ))
    return sorted(rows, key=lambda r: (r.series, r.valid_from, r.valid_to, r.reported_on, r.event))


def _number(amount):
    """An amount as the source's number: 155600000, not 155600000.0."""
    return int(amount) if isinstance(amount, float) and amount.is_integer() and abs(amount) < 2**53 else amount


def entities(conn):
    aliases = {}
    for row in conn.execute(sa.select(schema.entity_aliases.c.entity, schema.entity_aliases.c.alias)):
        aliases.setdefault(row.entity, []).append(row.alias)
    rows = conn.execute(sa.select(schema.entities))
    return sorted((EntityRecord(**{k: row._mapping[k] for k in ("key", "name", "type", "parent", "fiscal_year_end", "note")},
                                aliases=sorted(aliases.get(row.key, []))) for row in rows), key=lambda e: e.key)


def entity(conn, key):
    """The EntityRecord of `key`, or None."""
    row = conn.execute(sa.select(schema.entities).where(schema.entities.c.key == key)).first()
    if row is None:
        return None
    aliases = conn.execute(sa.select(schema.entity_aliases.c.alias)
                           .where(schema.entity_aliases.c.entity == key)).scalars().all()
    return EntityRecord(**{k: row._mapping[k] for k in ("key", "name", "type", "parent", "fiscal_year_end", "note")},
                        aliases=sorted(aliases))


def sources(conn):
    table, events = schema.sources, schema.events
    cited = dict(conn.execute(sa.select(events.c.source_id, sa.func.count()).group_by(events.c.source_id)).all())
    # sorted here, not by ORDER BY: PostgreSQL would order keys by the database's
    # collation (en_US ignores hyphens), SQLite by code point, as Python does
    rows = sorted(conn.execute(sa.select(table)), key=lambda row: row.key)
    return [SourceRecord(**{k: v for k, v in row._mapping.items() if k not in ("id", "prev_hash", "hash")},
                         events=cited.get(row.id, 0))
            for row in rows]


def event_kind(conn, event_id):
    """The kind of event `event_id`, or None."""
    return conn.execute(sa.select(schema.events.c.kind).where(schema.events.c.id == event_id)).scalar()


def export_records(conn, stream=False):
    """The whole log as export records (bundles.export_records), in seq order: a list, or with
    `stream` an iterator that reads the events as it goes (a log of any size)."""
    from .bundles import export_records as records

    aliases = {}
    for row in conn.execute(sa.select(schema.entity_aliases).order_by(schema.entity_aliases.c.id)):
        aliases.setdefault(row.entity, []).append((row.alias, row.recorded_at))
    entity_rows = [dict(r._mapping) for r in conn.execute(sa.select(schema.entities).order_by(schema.entities.c.id))]
    metric_rows = [dict(r._mapping) for r in conn.execute(sa.select(schema.metrics).order_by(schema.metrics.c.id))]
    source_rows = [dict(r._mapping) for r in conn.execute(sa.select(schema.sources).order_by(schema.sources.c.id))]
    query = sa.select(schema.events).order_by(schema.events.c.seq)
    if stream:
        query = query.execution_options(stream_results=True, yield_per=5000)
    event_rows = (dict(r._mapping) for r in conn.execute(query))
    found = records(entity_rows, aliases, metric_rows, source_rows, event_rows)
    return found if stream else list(found)
