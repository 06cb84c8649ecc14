"""The only writer: every change to a timeline database goes through here.

Each public call (import, add, correct, retract, entity and source add,
rebuild) is one transaction that takes the log's write lock, validates,
appends, advances the hash chain and updates the projections.  Any error rolls
the whole call back: the database is exactly as before.

The write lock: SQLite takes it with BEGIN IMMEDIATE (database.py), so a
second writer waits on the busy timeout before reading the head.  PostgreSQL
takes a transaction-level advisory lock before reading the head: appends then
run one after another, each sees the previous one's commit, seq and hash
follow on without gaps, and a reader can never see seq N+1 committed before N.
A row lock on the head would not do: the first append to an empty log has no
row to lock.
"""
import datetime as dt
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import chain, database, model, projections, schema
from .errors import TimelineError, did_you_mean
from .registry import Registry, fold

LOG_LOCK_ID = 0x7431_6D65  # "timeline" advisory lock key on PostgreSQL


def now_utc():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Report:
    """What one call did, counted by what it touched."""
    added: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    event_ids: list = field(default_factory=list)

    def count(self, outcome, what):
        counts = getattr(self, outcome)
        counts[what] = counts.get(what, 0) + 1

    def summary(self):
        parts = []
        for outcome in ("added", "unchanged"):
            counts = getattr(self, outcome)
            if counts:
                parts.append(f"{outcome} " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        return "; ".join(parts) or "nothing to do"


class Store:
    """A timeline database, opened for reading and writing."""

    def __init__(self, engine):
        self.engine = engine

    @classmethod
    def open(cls, db=None):
        engine = database.connect(db)
        database.check(engine)
        return cls(engine)

    @classmethod
    def init(cls, db=None):
        engine = database.connect(db, must_exist=False)
        database.upgrade(engine)
        return cls(engine)

    @contextmanager
    def transaction(self):
        """A write transaction holding the log lock, as a Writer."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_ID})
                yield Writer(conn)

    # ---- the calls the CLI mirrors ----

    def import_bundles(self, bundles):
        """Import parsed bundles (bundles.read) in one transaction; returns a Report."""
        with self.transaction() as writer:
            for bundle in bundles:
                writer.add_entities(bundle.entities, bundle.path)
            writer.check_parents()
            for bundle in bundles:
                for source in bundle.sources:
                    writer.add_source(source, bundle.path)
            for bundle in bundles:
                writer.append(bundle.events, bundle.path, default_source=bundle.default_source)
            writer.flush()
            return writer.report

    def add_entity(self, raw):
        with self.transaction() as writer:
            writer.add_entities([raw], None)
            writer.check_parents()
            return writer.report

    def add_source(self, raw):
        with self.transaction() as writer:
            writer.add_source(raw, None)
            return writer.report

    def add_event(self, raw, source=None):
        """Append one event citing source key `source` (or a new source mapping); returns its id."""
        with self.transaction() as writer:
            if isinstance(source, dict):
                writer.add_source(source, None)
                source = source["key"]
            raw = dict(raw)
            if not raw.get("id"):
                raw["id"] = writer.derive_id(raw, source)
            writer.append([raw], None, default_source=source)
            writer.flush()
            return writer.report.event_ids[0]

    def correct(self, event_id, changes, reason, source=None):
        """Append a version of `event_id` with `changes` that supersedes it; returns the new id."""
        with self.transaction() as writer:
            old = writer.current_event(event_id, "correct")
            raw = writer.raw_from_event(old)
            changes = {k: v for k, v in changes.items() if v is not None}
            raw["attributes"].update(changes.pop("attributes", {}))
            if "date" in changes and not {"valid_from", "valid_to", "precision"} & set(changes):
                for name in ("valid_from", "valid_to", "precision", "date_note"):
                    raw.pop(name)
            raw.update(changes)
            raw.update(id=writer.next_version_id(event_id), supersedes=event_id, reason=reason)
            if source is not None:
                raw.pop("reported_on", None)
            writer.append([raw], None, default_source=source or old["source"])
            writer.flush()
            return raw["id"]

    def retract(self, event_id, reason, source=None):
        """Append an event that withdraws `event_id`; returns the retraction's id."""
        with self.transaction() as writer:
            old = writer.current_event(event_id, "retract")
            raw = {
                "id": writer.next_version_id(event_id, suffix="retracted"),
                "entity": old["entity"], "kind": old["kind"], "date": old["date_text"],
                "valid_from": old["valid_from"], "valid_to": old["valid_to"], "precision": old["precision"],
                "date_note": f"the date of the retracted event {event_id}",
                "summary": f"Retraction of {event_id}: {reason}",
                "retracts": event_id, "reason": reason,
            }
            if source is None:
                raw["reported_on"] = old["reported_on"]
            writer.append([raw], None, default_source=source or old["source"])
            writer.flush()
            return raw["id"]

    def rebuild(self):
        with self.transaction() as writer:
            projection = projections.rebuild(writer.conn)
            return len(projection.event_status)


class Writer:
    """One write transaction: validates and appends, keeping the chain head."""

    def __init__(self, conn):
        self.conn = conn
        self.report = Report()
        self.recorded_at = now_utc()
        self.registry = Registry(conn)
        self.sources = {row.key: dict(row._mapping) for row in conn.execute(sa.select(schema.sources))}
        head = conn.execute(sa.select(schema.events.c.seq, schema.events.c.hash)
                            .order_by(schema.events.c.seq.desc()).limit(1)).first()
        self.head_seq, self.head_hash = (head.seq, head.hash) if head else (0, chain.GENESIS)
        self.pending = []          # event rows appended in this transaction, not yet inserted
        self.pending_ids = {}      # id -> pending event
        self.status = {}           # id -> (status, changed_by) changed in this transaction
        self.digests = {}          # source key -> digest

    # ---- entities ----

    def add_entities(self, raws, where):
        for index, raw in enumerate(raws, 1):
            label = raw.get("key") if isinstance(raw, dict) else None
            try:
                entity, aliases = model.make_entity(raw)
                self._add_entity(entity, aliases)
            except TimelineError as error:
                raise error.at(_place(where, f"entity {index}", label)) from None

    def _add_entity(self, entity, aliases):
        existing = self.registry.entities.get(entity["key"])
        if existing is None:
            self.conn.execute(schema.entities.insert(), {**entity, "recorded_at": self.recorded_at})
            self.registry.add(entity, [])
            self.report.count("added", "entities")
        else:
            differing = [f for f in ("name", "type", "parent", "fiscal_year_end", "note")
                         if entity.get(f) is not None and entity[f] != existing[f]]
            if differing:
                raise TimelineError(
                    f"entity '{entity['key']}' already exists with a different {', '.join(differing)}; "
                    "entities are never edited: add an alias, or a new entity"
                )
            self.report.count("unchanged", "entities")
        known = {fold(a) for a in self._aliases(entity["key"])}
        for alias in aliases:
            if fold(alias) in known:
                continue
            known.add(fold(alias))
            self.conn.execute(schema.entity_aliases.insert(), {
                "entity": entity["key"], "alias": alias, "alias_folded": fold(alias),
                "recorded_at": self.recorded_at,
            })
            self.registry.add_alias(entity["key"], alias)
            self.report.count("added", "aliases")

    def _aliases(self, key):
        table = schema.entity_aliases
        return [r.alias for r in self.conn.execute(sa.select(table.c.alias).where(table.c.entity == key))]

    def check_parents(self):
        for key, entity in self.registry.entities.items():
            if entity.get("parent") and entity["parent"] not in self.registry.entities:
                raise TimelineError(f"entity '{key}': unknown parent '{entity['parent']}'")

    # ---- sources ----

    def add_source(self, raw, where):
        label = raw.get("key") if isinstance(raw, dict) else None
        try:
            source = model.make_source(raw)
        except TimelineError as error:
            raise error.at(_place(where, "source", label)) from None
        existing = self.sources.get(source["key"])
        if existing is None:
            result = self.conn.execute(schema.sources.insert(), {**source, "recorded_at": self.recorded_at})
            self.sources[source["key"]] = {**source, "id": result.inserted_primary_key[0], "recorded_at": self.recorded_at}
            self.report.count("added", "sources")
            return
        differing = [f for f in chain.SOURCE_FIELDS if source[f] != existing[f]]
        if differing:
            raise TimelineError(
                f"source '{source['key']}' already exists with a different {', '.join(differing)}; "
                "sources are immutable once recorded: add a new source with a new key"
            ).at(_place(where, "source", label))
        self.report.count("unchanged", "sources")

    def source(self, key):
        if not key:
            raise TimelineError("no source given: cite one with --source KEY or --source-url/--source-title/--published-on")
        if key not in self.sources:
            raise TimelineError(f"unknown source '{key}'{did_you_mean(key, self.sources)}"
                                " (add it with `timeline source add`)")
        return self.sources[key]

    # ---- events ----

    def append(self, raws, where, default_source=None):
        """Validate and stage events; `flush` inserts them and updates projections."""
        existing = self._existing_events([r.get("id") for r in raws if isinstance(r, dict)])
        for index, raw in enumerate(raws, 1):
            label = raw.get("id") if isinstance(raw, dict) else None
            try:
                self._append_one(raw, default_source, existing)
            except TimelineError as error:
                raise error.at(_place(where, f"event {index}", label)) from None

    def _append_one(self, raw, default_source, existing):
        if not isinstance(raw, dict):
            raise TimelineError(f"an event must be a mapping, not {type(raw).__name__}")
        preserved = raw.get("_preserve")
        raw = {k: v for k, v in raw.items() if k != "_preserve"}
        source = self.source(raw.pop("source", None) or default_source)
        entity_name = raw.get("entity")
        if not entity_name or not isinstance(entity_name, str):
            raise TimelineError("entity is missing or empty")
        entity_key = self.registry.resolve(entity_name)
        event = model.make_event(raw, source, self.registry.entities[entity_key]["fiscal_year_end"])
        event["entity"] = entity_key
        if event["counterparty"]:
            event["counterparty"] = self.registry.resolve(event["counterparty"], "counterparty")
            if event["counterparty"] == entity_key:
                raise TimelineError(f"counterparty is the entity itself ('{entity_key}')")

        if event["id"] in self.pending_ids:
            raise TimelineError(f"duplicate id '{event['id']}': it is already used earlier in this import")
        if event["id"] in existing:
            differing = model.differing_fields(event, existing[event["id"]])
            if differing:
                raise TimelineError(
                    f"event '{event['id']}' already exists with different {', '.join(differing)}; "
                    f"events are immutable: use `timeline correct {event['id']}` to append a correction"
                )
            self.report.count("unchanged", "events")
            return
        self._check_target(event)

        self.head_seq += 1
        event.update(seq=self.head_seq, recorded_at=self.recorded_at, prev_hash=self.head_hash)
        if preserved and preserved["prev_hash"] == self.head_hash and preserved["seq"] == self.head_seq:
            # a JSON Lines export continuing this log: keep its recording time,
            # and its hash must come out the same or the file was altered
            event["recorded_at"] = preserved["recorded_at"]
        event["hash"] = chain.event_hash(event, source)
        if preserved and event["recorded_at"] == preserved["recorded_at"] and event["hash"] != preserved["hash"]:
            raise TimelineError(f"hash mismatch at seq {event['seq']}: the export was altered after it was written")
        event["source_id"] = source["id"]
        self.head_hash = event["hash"]
        self.pending.append(event)
        self.pending_ids[event["id"]] = event
        self.report.count("added", "events")
        self.report.event_ids.append(event["id"])

    def _check_target(self, event):
        target_id = event["supersedes"] or event["retracts"]
        if not target_id:
            return
        verb = "correct" if event["supersedes"] else "retract"
        target = self.current_event(target_id, verb)
        if event["retracts"] and target.get("retracts"):
            raise TimelineError(f"'{target_id}' is itself a retraction; it cannot be retracted")
        self.status[target_id] = ("superseded" if event["supersedes"] else "retracted", event["id"])
        if event["retracts"] and target.get("supersedes"):
            if self._status_of(target["supersedes"]) == ("superseded", target_id):
                self.status[target["supersedes"]] = ("current", None)

    def _status_of(self, event_id):
        if event_id in self.status:
            return self.status[event_id]
        if event_id in self.pending_ids:
            return ("current", None)
        table = schema.event_status
        row = self.conn.execute(sa.select(table.c.status, table.c.changed_by)
                                .where(table.c.event_id == event_id)).first()
        return tuple(row) if row else None

    def current_event(self, event_id, verb):
        """The standing event `event_id`, or the error that says why it cannot be changed."""
        event = self.pending_ids.get(event_id) or self._stored_event(event_id)
        if event is None:
            raise TimelineError(f"cannot {verb} '{event_id}': no such event")
        status, changed_by = self._status_of(event_id)
        if status == "retracted":
            raise TimelineError(f"cannot {verb} '{event_id}': it was already retracted by '{changed_by}'")
        if status == "superseded":
            raise TimelineError(f"cannot {verb} '{event_id}': it was superseded by '{changed_by}'; {verb} that instead")
        return event

    def _stored_event(self, event_id):
        found = projections.load_events(self.conn, schema.events.c.id == event_id)
        return found[0] if found else None

    def _existing_events(self, ids):
        ids = [i for i in ids if isinstance(i, str)]
        if not ids or self.head_seq == 0:
            return {}
        found = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for event in projections.load_events(self.conn, schema.events.c.id.in_(chunk)):
                found[event["id"]] = event
        return found

    def raw_from_event(self, event):
        """A bundle-style mapping for an existing event, to derive a correction from."""
        return {
            "entity": event["entity"], "counterparty": event["counterparty"], "kind": event["kind"],
            "date": event["date_text"], "valid_from": event["valid_from"], "valid_to": event["valid_to"],
            "precision": event["precision"], "date_note": event["date_note"] or f"the date of {event['id']}",
            "reported_on": event["reported_on"], "summary": event["summary"],
            "attributes": dict(event["attributes"]), "quote": event["quote"],
        }

    def next_version_id(self, event_id, suffix="v"):
        """`x/v2`, `x/v3`… (or `x/retracted`) for the event that changes `x`."""
        base = event_id.rsplit("/v", 1)[0] if event_id.rsplit("/v", 1)[-1].isdigit() else event_id
        if suffix != "v":
            candidates = (f"{base}/{suffix}" + ("" if n == 1 else f"-{n}") for n in range(1, 1000))
        else:
            candidates = (f"{base}/v{n}" for n in range(2, 1000))
        for candidate in candidates:
            if candidate not in self.pending_ids and self._stored_event(candidate) is None:
                return candidate
        raise TimelineError(f"too many versions of '{event_id}'")

    def derive_id(self, raw, source_key):
        """`entity/period/what` for an event added without an id, unique in the log."""
        from . import dates

        entity = self.registry.resolve(raw.get("entity") or "")
        source = self.source(source_key)
        event = model.make_event({**raw, "id": "draft"}, source, self.registry.entities[entity]["fiscal_year_end"])
        what = event["attributes"].get("metric") or event["kind"].replace("_", "-")
        base = f"{entity}/{dates.slug(event['valid_from'], event['valid_to'], event['precision'])}/{what}"
        candidate, n = base, 1
        while candidate in self.pending_ids or self._stored_event(candidate) is not None:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def flush(self):
        """Insert the staged events and bring the projections up to date."""
        if not self.pending:
            return
        rows = [{**{c.name: event.get(c.name) for c in schema.events.c},
                 "attributes": chain.canonical_json(event["attributes"])} for event in self.pending]
        self.conn.execute(schema.events.insert(), rows)
        projections.apply(self.conn, self.pending)
        self.pending, self.pending_ids, self.status = [], {}, {}


def _place(where, item, label):
    place = f"{item} ({label})" if label else item
    return f"{where}: {place}" if where else place
