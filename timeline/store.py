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
row to lock.  `_lock_log` says in full why this lock is the right one.
"""
import datetime as dt
import operator
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import chain, database, model, projections, schema
from .errors import TimelineError, did_you_mean
from .registry import Registry, fold

BULK = 10000  # staged events above which a flush is a bulk load
BULK_CACHE_KIB = 1024 * 1024  # SQLite page cache for a bulk load (allocated as used)
LOG_LOCK_ID = 0x7431_6D65  # "timeline" advisory lock key on PostgreSQL


def now_utc():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def bulk_allocation():
    """Pause Python's cyclic garbage collector while a bulk import builds its rows.

    A million-event import holds millions of dicts at once, none in a cycle;
    the collector would walk all of them again each time the heap grows by a
    quarter (about 15% of an import's time).  Re-enabled on the way out.
    """
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
        with write_connection(self.engine) as conn:
            writer = Writer(conn)
            yield writer
            writer.insert_sources()
            writer.sync_id_sequences()

    # ---- the calls the CLI mirrors ----

    def import_bundles(self, bundles):
        """Import parsed bundles (bundles.read) in one transaction; returns a Report."""
        with bulk_allocation(), self.transaction() as writer:
            for bundle in bundles:
                writer.add_entities(bundle.entities, bundle.path)
            writer.check_parents()
            if sum(len(bundle.sources) for bundle in bundles) > 50:
                writer.sources.load_all()  # one query, not one per source
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


@contextmanager
def write_connection(engine):
    """A connection in a transaction that holds the log's write lock.

    Every writer (Store.transaction, copy.copy_log, and database.upgrade on
    PostgreSQL) goes through here, so all writes to one database run one
    after another.
    """
    with engine.connect() as conn:
        postgresql = conn.dialect.name == "postgresql"
        options = {"write": True}  # SQLite: BEGIN IMMEDIATE (database._begin_sqlite)
        if postgresql:
            # Pinned, whatever the server's default_transaction_isolation: see below.
            options["isolation_level"] = "READ COMMITTED"
        conn = conn.execution_options(**options)
        with conn.begin():
            if postgresql:
                _lock_log(conn)
            yield conn


def _lock_log(conn):
    """Take the PostgreSQL log lock; the Writer reads the chain head only after this.

    Why pg_advisory_xact_lock, taken first thing in a READ COMMITTED
    transaction, is right:
    - It serialises appends.  Every writer takes the same lock (one key; the
      lock space is per database, so two timeline databases on one server do
      not wait for each other) before it reads the head, so no two
      transactions can both read seq N and both append seq N+1: the chain
      cannot fork.  A second curator waits instead of failing, as with
      SQLite's BEGIN IMMEDIATE.
    - The next writer sees the previous one's commit.  A transaction-level
      lock is released only at COMMIT/ROLLBACK, after the commit is visible,
      and under READ COMMITTED each statement takes a new snapshot, so the
      head read after the wait includes the previous append.  Under
      REPEATABLE READ or SERIALIZABLE the snapshot would be taken by the
      lock statement itself, before the wait, and the head read would be
      stale (a duplicate seq at best); hence the pinned isolation level.
    - Readers never see a later seq before an earlier one: seq is head + 1
      assigned under the lock, and a writer cannot read the head until the
      previous writer committed, so commits happen in seq order.  (A
      sequence/SERIAL would hand out numbers at INSERT time, commit them out
      of order and leave gaps on rollback.)
    - It cannot leak.  It is released by commit, rollback, or the server
      when the client's connection dies; a session-level advisory lock would
      outlive a failed transaction on a kept connection.
    - It blocks no reader and needs no privilege.  LOCK TABLE events IN
      EXCLUSIVE MODE would also serialise writers, but needs UPDATE/DELETE/
      TRUNCATE rights on events, which curators should not have.  A row lock
      on the head row cannot work for the first append (no row to lock), and
      SERIALIZABLE alone would abort one of two concurrent appends instead of
      queueing it.
    The wait is bounded like SQLite's busy timeout: lock_timeout, local to
    this transaction.
    """
    conn.execute(sa.text(f"SET LOCAL lock_timeout = '{database.BUSY_TIMEOUT_SECONDS}s'"))
    try:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_ID})
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise TimelineError(f"another writer has held the log for over {database.BUSY_TIMEOUT_SECONDS} s; "
                                "nothing was written, try again") from None
        raise


class SourceCache:
    """The sources table as a mapping by key, read one key at a time.

    A single append reads the one source it cites, not every source in the
    log; a bulk import calls load_all() once instead of a query per source.
    """

    def __init__(self, conn):
        self.conn = conn
        self.rows = {}
        self.complete = False

    def load_all(self):
        if not self.complete:
            for row in self.conn.execute(sa.select(schema.sources)):
                self.rows.setdefault(row.key, dict(row._mapping))
            self.complete = True

    def get(self, key, default=None):
        if not valid_text(key):  # a YAML list or number (or undecodable text) is no source key
            return default
        if key not in self.rows and not self.complete:
            row = self.conn.execute(sa.select(schema.sources).where(schema.sources.c.key == key)).first()
            if row is not None:
                self.rows[key] = dict(row._mapping)
        return self.rows.get(key, default)

    def __contains__(self, key):
        return self.get(key) is not None

    def __getitem__(self, key):
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __setitem__(self, key, row):
        self.rows[key] = row

    def __iter__(self):
        self.load_all()
        return iter(self.rows)


class Writer:
    """One write transaction: validates and appends, keeping the chain head."""

    def __init__(self, conn):
        self.conn = conn
        self.report = Report()
        self.recorded_at = now_utc()
        self.registry = Registry(conn)
        self.sources = SourceCache(conn)  # read by key: one append must not read every source
        head = conn.execute(sa.select(schema.events.c.seq, schema.events.c.hash)
                            .order_by(schema.events.c.seq.desc()).limit(1)).first()
        self.head_seq, self.head_hash = (head.seq, head.hash) if head else (0, chain.GENESIS)
        self.pending = []          # event rows appended in this transaction, not yet inserted
        self.pending_ids = {}      # id -> pending event
        self.status = {}           # id -> (status, changed_by) changed in this transaction
        self.digests = {}          # source key -> digest
        self.folded_aliases = {}   # entity key -> {folded alias}, as read or added (see _aliases)
        self.new_sources = []      # source rows added, not yet inserted (see insert_sources)
        self.last_ids = {}         # table name -> last id assigned (see next_id)

    # ---- row ids ----

    def next_id(self, table):
        """max(id) + 1, assigned under the log lock like seq.

        SQLite gives an INTEGER PRIMARY KEY exactly this when none is given.
        A PostgreSQL SERIAL would not: its sequence moves on in transactions
        that roll back, so after a rejected import the same log would number
        its sources and entities differently on the two backends (and publish
        different files).
        """
        last = self.last_ids.get(table.name)
        if last is None:
            last = self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar()
        self.last_ids[table.name] = last + 1
        return last + 1

    def sync_id_sequences(self):
        """PostgreSQL: move the SERIAL sequences past the ids assigned, for anyone inserting by hand."""
        sync_id_sequences(self.conn, self.last_ids)

    # ---- entities ----

    def add_entities(self, raws, where):
        self._read_aliases([raw.get("key") for raw in raws if isinstance(raw, dict)])
        self.new_entities, self.new_aliases = [], []
        for index, raw in enumerate(raws, 1):
            label = raw.get("key") if isinstance(raw, dict) else None
            try:
                entity, aliases = model.make_entity(raw)
                _fit(schema.entities, entity)
                for alias in aliases:
                    _fit(schema.entity_aliases, {"alias": alias})
                self._add_entity(entity, aliases)
            except TimelineError as error:
                raise error.at(_place(where, f"entity {index}", label)) from None
        # one executemany each (entities first: aliases refer to them), not a statement per row
        if self.new_entities:
            self.conn.execute(schema.entities.insert(), self.new_entities)
        if self.new_aliases:
            self.conn.execute(schema.entity_aliases.insert(), self.new_aliases)

    def _add_entity(self, entity, aliases):
        existing = self.registry.entities.get(entity["key"])
        if existing is None:
            self.new_entities.append({**entity, "id": self.next_id(schema.entities), "recorded_at": self.recorded_at})
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
        known = self._aliases(entity["key"])
        for alias in aliases:
            if fold(alias) in known:
                continue
            known.add(fold(alias))
            self.new_aliases.append({
                "id": self.next_id(schema.entity_aliases),
                "entity": entity["key"], "alias": alias, "alias_folded": fold(alias),
                "recorded_at": self.recorded_at,
            })
            self.registry.add_alias(entity["key"], alias)
            self.report.count("added", "aliases")

    def _read_aliases(self, keys):
        """Read the stored aliases of entities `keys` into self.folded_aliases, 500 keys a query."""
        table = schema.entity_aliases
        keys = [k for k in dict.fromkeys(keys) if valid_text(k) and k not in self.folded_aliases]
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for key in chunk:
                self.folded_aliases[key] = set()
            for row in self.conn.execute(sa.select(table.c.entity, table.c.alias).where(table.c.entity.in_(chunk))):
                self.folded_aliases[row.entity].add(fold(row.alias))

    def _aliases(self, key):
        """The folded aliases entity `key` has, stored or added in this transaction (a live set)."""
        if key not in self.folded_aliases:
            self._read_aliases([key])
        return self.folded_aliases.setdefault(key, set())

    def check_parents(self):
        for key, entity in self.registry.entities.items():
            if entity.get("parent") and entity["parent"] not in self.registry.entities:
                raise TimelineError(f"entity '{key}': unknown parent '{entity['parent']}'")

    # ---- sources ----

    def add_source(self, raw, where):
        label = raw.get("key") if isinstance(raw, dict) else None
        try:
            source = model.make_source(raw)
            _fit(schema.sources, source)
        except TimelineError as error:
            raise error.at(_place(where, "source", label)) from None
        existing = self.sources.get(source["key"])
        if existing is None:
            source_id = self.next_id(schema.sources)
            row = {**source, "id": source_id, "recorded_at": self.recorded_at}
            self.new_sources.append(row)  # inserted together, before any event cites them (insert_sources)
            self.sources[source["key"]] = row
            self.report.count("added", "sources")
            return
        differing = [f for f in chain.SOURCE_FIELDS if source[f] != existing[f]]
        if differing:
            raise TimelineError(
                f"source '{source['key']}' already exists with a different {', '.join(differing)}; "
                "sources are immutable once recorded: add a new source with a new key"
            ).at(_place(where, "source", label))
        self.report.count("unchanged", "sources")

    def insert_sources(self):
        """INSERT the sources added so far: one executemany for a bundle's thousands."""
        if self.new_sources:
            self.conn.execute(schema.sources.insert(), self.new_sources)
            self.new_sources = []

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
        _fit(schema.events, event)
        event["_state_key"] = projections.state_key_of(event)
        _fit(schema.entity_state, {"key": event["_state_key"]}, "state key")

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
        digest = self.digests.get(source["key"])
        if digest is None:
            digest = self.digests[source["key"]] = chain.source_digest(source)
        # the attributes' canonical JSON is both hashed and stored: write it once
        event["attributes_json"] = chain.canonical_json(event["attributes"])
        _fit(schema.events, {"attributes": event["attributes_json"]})
        event["hash"] = chain.event_hash(event, source, digest, event["attributes_json"])
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
        if not valid_text(event_id):  # not an id any event can have; and the driver cannot send it
            return None
        found = projections.load_events(self.conn, schema.events.c.id == event_id)
        return found[0] if found else None

    def _existing_events(self, ids):
        ids = [i for i in ids if valid_text(i)]
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
        self.insert_sources()
        if not self.pending:
            return
        if len(self.pending) > BULK and self.conn.dialect.name == "sqlite":
            # SQLite's default page cache is 2 MB: a bulk import would re-read the
            # id and hash indexes from the OS for every row it inserts
            self.conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        columns = ["attributes_json" if c.name == "attributes" else c.name for c in schema.events.c]
        row = operator.itemgetter(*columns)  # every staged event has every column (see _append_one)
        projections.insert_values(self.conn, schema.events, (row(event) for event in self.pending))
        # the staged events are in memory: a bulk replay reads back only the events before them
        projections.apply(self.conn, self.pending, head_before=self.pending[0]["seq"] - 1)
        self.pending, self.pending_ids, self.status = [], {}, {}


_COLUMN_LENGTHS = {}
# lone UTF-16 surrogates: what a JSON or YAML "\ud800" escape or non-UTF-8 bytes in an
# argument decode to; no database can store them (sqlite3 and psycopg refuse to encode them)
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value):
    """True for a str a database can store and compare (no lone surrogates)."""
    return isinstance(value, str) and not _SURROGATE.search(value)


def _column_lengths(table):
    """{column name: VARCHAR length or None} of `table`, computed once (an import checks every row)."""
    lengths = _COLUMN_LENGTHS.get(table.name)
    if lengths is None:
        lengths = _COLUMN_LENGTHS[table.name] = {c.name: getattr(c.type, "length", None) for c in table.c}
    return lengths


def _fit(table, row, what=None):
    """Every text value must fit its column, on every backend.

    PostgreSQL enforces VARCHAR(n) and refuses NUL characters; SQLite stores
    either.  Checking here gives the same one-line error on both, so a log
    SQLite accepts can always be copied to PostgreSQL.
    """
    limits = _column_lengths(table)
    for name, value in row.items():
        if not isinstance(value, str) or name not in limits:
            continue
        label = what or name
        if "\x00" in value:
            raise TimelineError(f"{label} contains a NUL character")
        if _SURROGATE.search(value):
            raise TimelineError(f"{label} is not valid Unicode text (a lone surrogate: bytes that "
                                "are not UTF-8, or an escape such as \\ud800)")
        length = limits[name]
        if length and len(value) > length:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise TimelineError(f"{label} {shown!r} is {len(value)} characters long; at most {length} are allowed")


def sync_id_sequences(conn, last_ids):
    """setval the id sequences of the tables in {table name: last id} (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return
    for name, last in last_ids.items():
        if last < 1:
            continue  # an empty table: its sequence still starts at 1
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :last)"), {"last": last})


def _place(where, item, label):
    place = f"{item} ({label})" if label else item
    return f"{where}: {place}" if where else place
