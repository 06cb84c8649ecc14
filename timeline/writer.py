"""One write transaction: validate what a curator wrote, append it, advance the chain.

A Writer lives inside a transaction that holds the log's write lock
(backends.Backend.write_transaction): it reads the chain head once, stages
entities, aliases, sources and events, gives each new event its seq (head + 1),
recording time and hash, and `flush` inserts the staged events and brings the
projections up to date.  Any error raises before the transaction commits, so
the database is exactly as before.  `timeline.api.Timeline` opens the
transactions; nothing else writes.
"""
import datetime as dt
import operator

import sqlalchemy as sa

from . import chain, dates, projections, rules, schema, validation, vocabulary
from .backends import backend_for
from .errors import TimelineError, did_you_mean
from .loading import load_events
from .progress import SILENT
from .registry import Registry, fold, lookup
from .results import Report
from .schema import check_fits, valid_text


def now_utc():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
    """One write transaction: validates and appends, keeping the chain head.

    A bulk import stages events in batches: `insert_pending` inserts each
    batch (so memory holds one batch, whatever the size of the import), and
    `flush` brings the projections up to date at the end, one event at a time
    for a few (projections.apply), by a streaming replay of the log for more
    (projections.rebuild).
    """

    BATCH = 5000  # events staged before insert_pending inserts them

    def __init__(self, conn):
        self.conn = conn
        self.report = Report()
        self.recorded_at = now_utc()
        self._registry = None     # the whole registry, read on first use (see resolve)
        self._resolved = {}       # name -> entity row, found through the indexes (see resolve)
        self.vocab = vocabulary.for_connection(conn)  # built-in kinds and metrics, and the curators' metrics
        self.sources = SourceCache(conn)  # read by key: one append must not read every source
        head = conn.execute(sa.select(schema.events.c.seq, schema.events.c.hash, schema.events.c.recorded_at)
                            .order_by(schema.events.c.seq.desc()).limit(1)).first()
        self.head_seq, self.head_hash, self.head_recorded_at = (
            (head.seq, head.hash, head.recorded_at) if head else (0, chain.GENESIS, ""))
        self.pending = []          # event rows appended in this transaction, not yet inserted
        self.pending_ids = {}      # id -> pending event
        self.status = {}           # id -> (status, changed_by) changed in this transaction
        self.digests = {}          # source key -> digest
        self.folded_aliases = {}   # entity key -> {folded alias}, as read or added (see _aliases)
        self.new_sources = []      # source rows added, not yet inserted (see insert_sources)
        self.last_ids = {}         # table name -> last id assigned (see next_id)
        self.registry_heads = {}   # registry table name -> hash of its last row (see chained)
        self.start_seq = self.head_seq  # the head before this transaction: a later seq was added by it
        self.unprojected = []      # inserted events whose projections wait for flush (a few; see insert_pending)
        self.bulk = None           # more: projections.BulkApply, fed each batch as it is inserted
        self.dropped = []          # the plain indexes of events dropped for a bulk load (made again by flush)

    # ---- the registry ----

    @property
    def registry(self):
        """The whole entity registry, read once, on first use (adding entities, a bulk import)."""
        if self._registry is None:
            self._registry = Registry(self.conn)
        return self._registry

    LOOKUPS = 16  # names one append resolves through the indexes; past them the whole registry is read

    def resolve(self, name, role="entity"):
        """(key, row) of the entity called `name`: found through the indexes for the few names an
        append gives, so one event does not read every entity; from the whole registry (read once)
        when entities are added or many names are resolved."""
        if self._registry is None and (name in self._resolved or len(self._resolved) < self.LOOKUPS):
            if name not in self._resolved:
                key = lookup(self.conn, name, role)
                row = self.conn.execute(sa.select(schema.entities).where(schema.entities.c.key == key)).first()
                self._resolved[name] = (key, dict(row._mapping))
            return self._resolved[name]
        key = self.registry.resolve(name, role)
        return key, self.registry.entities[key]

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

    # ---- entities ----

    def add_entities(self, raws, where):
        """Add entities and their aliases; each keeps the recorded_at it was written back with."""
        self._read_aliases([raw.get("key") for raw in raws if isinstance(raw, dict)])
        self.new_entities, self.new_aliases, aliases = [], [], []
        for index, raw in enumerate(raws, 1):
            label = raw.get("key") if isinstance(raw, dict) else None
            try:
                entity, named = validation.make_entity(raw)
                check_fits(schema.entities, entity)
                for alias, _ in named:
                    check_fits(schema.entity_aliases, {"alias": alias})
                recorded_at = self._add_entity(entity, validation.recorded_time(raw.get("recorded_at")))
            except TimelineError as error:
                raise error.at(place(where, f"entity {index}", label)) from None
            # a plain alias of an entity new here was recorded with it; one added to a known entity, now
            aliases += [(alias, when or recorded_at, index, entity["key"]) for alias, when in named]
        # in the order they were recorded, so a log rebuilt from its bundles numbers them as it did
        for alias, recorded_at, _, key in sorted(aliases, key=lambda a: (a[1], a[2])):
            self._add_alias(key, alias, recorded_at)
        # one executemany each (entities first: aliases refer to them), not a statement per row
        if self.new_entities:
            self.conn.execute(schema.entities.insert(), self.new_entities)
        if self.new_aliases:
            self.conn.execute(schema.entity_aliases.insert(), self.new_aliases)

    def _add_entity(self, entity, recorded_at):
        """Stage a new entity, or check a known one is unchanged; returns when new aliases of it are recorded."""
        existing = self.registry.entities.get(entity["key"])
        if existing is None:
            recorded_at = recorded_at or self.recorded_at
            self.new_entities.append(self.chained(schema.entities, {
                **entity, "id": self.next_id(schema.entities), "recorded_at": recorded_at}))
            self.registry.add(entity, [])
            self.report.count("added", "entities")
            return recorded_at
        differing = [f for f in ("name", "type", "parent", "fiscal_year_end", "note")
                     if entity.get(f) is not None and entity[f] != existing[f]]
        if differing:
            raise TimelineError(
                f"entity '{entity['key']}' already exists with a different {', '.join(differing)}; "
                "entities are never edited: add an alias, or a new entity"
            )
        self.report.count("unchanged", "entities")
        return self.recorded_at

    def _add_alias(self, key, alias, recorded_at):
        known = self._aliases(key)
        if fold(alias) in known:
            return
        other = self.registry.identities.get(fold(alias))
        if other and other != key:
            raise TimelineError(f"alias {alias!r} of '{key}' is the key or name of entity '{other}'; "
                                "an alias must not name another entity")
        known.add(fold(alias))
        self.new_aliases.append(self.chained(schema.entity_aliases, {
            "id": self.next_id(schema.entity_aliases),
            "entity": key, "alias": alias, "alias_folded": fold(alias), "recorded_at": recorded_at,
        }))
        self.registry.add_alias(key, alias)
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
        """Every parent exists, and no entity is its own ancestor."""
        entities = self.registry.entities
        for key, entity in entities.items():
            if entity.get("parent") and entity["parent"] not in entities:
                raise TimelineError(f"entity '{key}': unknown parent '{entity['parent']}'")
        for key in entities:
            seen, parent = [key], entities[key].get("parent")
            while parent:
                if parent in seen:
                    raise TimelineError(f"entity '{key}': parents go round in a circle "
                                        f"({' -> '.join(seen[seen.index(parent):] + [parent])})")
                seen.append(parent)
                parent = entities[parent].get("parent")

    # ---- metrics ----

    def add_metrics(self, raws, where):
        """Add the metrics curators define (a bundle's `metrics:` list, or `timeline metric add`)."""
        new = []
        for index, raw in enumerate(raws, 1):
            label = raw.get("key") if isinstance(raw, dict) else None
            try:
                metric = validation.make_metric(raw, self.vocab)
                check_fits(schema.metrics, metric)
                existing = self.vocab.metrics.get(metric["key"])
                if existing is None:
                    recorded_at = validation.recorded_time(raw.get("recorded_at")) or self.recorded_at
                    row = self.chained(schema.metrics, {**metric, "id": self.next_id(schema.metrics),
                                                        "recorded_at": recorded_at})
                    new.append(row)
                    self.vocab = self.vocab.with_metrics([row])
                    self.report.count("added", "metrics")
                    continue
                stored = vocabulary.metric_spec(metric["key"], metric)
                differing = [f for f in vocabulary.METRIC_FIELDS if stored[f] != existing[f]]
                if differing:
                    raise TimelineError(f"metric '{metric['key']}' already exists with a different "
                                        f"{', '.join(differing)}; metrics are never edited: add a new metric")
                self.report.count("unchanged", "metrics")
            except TimelineError as error:
                raise error.at(place(where, f"metric {index}", label)) from None
        if new:
            self.conn.execute(schema.metrics.insert(), new)

    # ---- sources ----

    def add_source(self, raw, where):
        label = raw.get("key") if isinstance(raw, dict) else None
        try:
            source = validation.make_source(raw)
            check_fits(schema.sources, source)
            recorded_at = validation.recorded_time(raw.get("recorded_at"), "source recorded_at") or self.recorded_at
        except TimelineError as error:
            raise error.at(place(where, "source", label)) from None
        existing = self.sources.get(source["key"])
        if existing is None:
            source_id = self.next_id(schema.sources)
            row = self.chained(schema.sources, {**source, "id": source_id, "recorded_at": recorded_at})
            self.new_sources.append(row)  # inserted together, before any event cites them (insert_sources)
            self.sources[source["key"]] = row
            self.report.count("added", "sources")
            return
        differing = [f for f in chain.SOURCE_FIELDS if source[f] != existing[f]]
        if differing:
            raise TimelineError(
                f"source '{source['key']}' already exists with a different {', '.join(differing)}; "
                "sources are immutable once recorded: add a new source with a new key"
            ).at(place(where, "source", label))
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
        self.append_items([(raw, where, index, default_source) for index, raw in enumerate(raws, 1)])

    def append_items(self, items):
        """Stage events given as (raw, where, index in its file, default source), in this order."""
        self.commit_items([(self.prepared(raw, where, index, default_source), where, index, label)
                           for raw, where, index, default_source in items
                           for label in [raw.get("id") if isinstance(raw, dict) else None]], lazy=True)

    def prepared(self, raw, where, index, default_source, lazy=True):
        """`prepare(raw)`, or (lazily, for commit_items to raise in its turn) the error it raised."""
        try:
            return self.prepare(raw, default_source)
        except TimelineError as error:
            if not lazy:
                raise error.at(place(where, f"event {index}", raw.get("id") if isinstance(raw, dict) else None)) from None
            return error

    def commit_items(self, items, lazy=False):
        """Stage prepared events given as (prepared or TimelineError, where, index, label), in this order."""
        existing = self._existing_events([prepared[0]["id"] for prepared, *_ in items if not isinstance(prepared, TimelineError)])
        for prepared, where, index, label in items:
            try:
                if isinstance(prepared, TimelineError):
                    raise prepared
                self.commit(prepared, existing)
            except TimelineError as error:
                raise error.at(place(where, f"event {index}", label)) from None

    def prepare(self, raw, default_source):
        """What an event is whatever the log holds: validated, resolved, typed and keyed.

        Reads no database (the registry, the vocabulary and the cited sources are
        in memory; a large import loads every source first), so a bulk import can
        prepare one batch while the store inserts the one before (importing.py).
        Returns what `commit` takes.
        """
        if not isinstance(raw, dict):
            raise TimelineError(f"an event must be a mapping, not {type(raw).__name__}")
        preserved = raw.get("_preserve")
        raw = {k: v for k, v in raw.items() if k not in ("_preserve", "seq")}
        written_back = validation.recorded_time(raw.get("recorded_at"))
        source = self.source(raw.pop("source", None) or default_source)
        entity_name = raw.get("entity")
        if not entity_name or not isinstance(entity_name, str):
            raise TimelineError("entity is missing or empty")
        entity_key, entity = self.resolve(entity_name)
        event = validation.make_event(raw, source, entity["fiscal_year_end"], self.vocab,
                                      recorded_span=preserved is not None)
        event["entity"] = entity_key
        if event["counterparty"]:
            event["counterparty"] = self.resolve(event["counterparty"], "counterparty")[0]
            if event["counterparty"] == entity_key:
                raise TimelineError(f"counterparty is the entity itself ('{entity_key}')")
        check_fits(schema.events, event)
        event["_state_key"] = rules.state_key_of(event, self.vocab)
        check_fits(schema.entity_state, {"key": event["_state_key"]}, "state key")
        digest = self.digests.get(source["key"])
        if digest is None:
            digest = self.digests[source["key"]] = chain.source_digest(source)
        # the attributes' canonical JSON is both hashed and stored: write it once
        event["attributes_json"] = chain.canonical_json(event["attributes"])
        check_fits(schema.events, {"attributes": event["attributes_json"]})
        if preserved:
            chained = {name: preserved[name] for name in ("seq", "recorded_at", "prev_hash", "hash")}
            hashed = preserved.get("hashed")
            # whether the event holds what the export's chain check hashed, should it keep its place
            chained["same"] = bool(hashed) and _as_hashed({**event, **chained}, hashed, digest)
            preserved = chained
        return event, preserved, written_back, source["key"], digest

    def commit(self, prepared, existing):
        """Stage a prepared event: refuse a duplicate, keep an unchanged one, check what it changes,
        and give it its place in the chain (seq, recorded_at, prev_hash, hash)."""
        event, preserved, written_back, source_key, digest, *projected = prepared
        if event["id"] in self.pending_ids or existing.get(event["id"], {}).get("seq", 0) > self.start_seq:
            raise TimelineError(f"duplicate id '{event['id']}': it is already used earlier in this import")
        if event["id"] in existing:
            differing = validation.differing_fields(event, existing[event["id"]])
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
        if written_back and written_back >= self.head_recorded_at:
            # a bundle written back by `timeline export --bundles`: the event keeps the time it was
            # first recorded, so a log rebuilt from events/ has the same chain (never earlier than
            # the event before it: a log is recorded in time order)
            event["recorded_at"] = written_back
        if preserved and preserved["prev_hash"] == self.head_hash and preserved["seq"] == self.head_seq:
            # a JSON Lines export continuing this log: keep its recording time,
            # and its hash must come out the same or the file was altered
            event["recorded_at"] = preserved["recorded_at"]
        if preserved and preserved["same"] and all(_identical(event[name], preserved[name])
                                                   for name in ("seq", "prev_hash", "recorded_at")):
            event["hash"] = preserved["hash"]  # exactly what the export's chain check hashed: no need to again
        else:
            source = self.sources[source_key]
            event["hash"] = chain.event_hash(event, source, digest, event["attributes_json"])
        if preserved and event["recorded_at"] == preserved["recorded_at"] and event["hash"] != preserved["hash"]:
            raise TimelineError(f"hash mismatch at seq {event['seq']}: the export was altered after it was written")
        event["source_id"] = self.sources[source_key]["id"]
        if projected and projected[0][0] == event["seq"]:
            event["_rows"] = projected[0][1]  # its projections, worked out for this seq (importing.py)
        self.head_hash, self.head_recorded_at = event["hash"], event["recorded_at"]
        self.pending.append(event)
        self.pending_ids[event["id"]] = event
        self.report.count("added", "events")
        ids = self.report.event_ids
        if len(ids) < KEPT_IDS:
            ids.append(event["id"])
        elif not isinstance(ids, AddedIds):  # a large import: the ids are read back from the log when asked for
            self.report.event_ids = AddedIds(engine=self.conn.engine, after_seq=self.start_seq)

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
        if row:
            return tuple(row)
        if self.head_seq > self.start_seq and valid_text(event_id):
            # inserted by this transaction, its projections not written yet: it stands unless changed here
            seq = self.conn.execute(sa.select(schema.events.c.seq).where(schema.events.c.id == event_id)).scalar()
            if seq is not None and seq > self.start_seq:
                return ("current", None)
        return None

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
        found = load_events(self.conn, schema.events.c.id == event_id)
        return found[0] if found else None

    def _existing_events(self, ids):
        """{id: stored event} for the ids among `ids` the log holds (inserted by this transaction too)."""
        ids = [i for i in ids if valid_text(i)]
        if not ids or self.head_seq == self.start_seq == 0 or self.head_seq == len(self.pending):
            return {}  # nothing stored yet
        found, column = {}, schema.events.c.id
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            stored = self.conn.execute(sa.select(column).where(column.in_(chunk))).scalars().all()
            if stored:  # most ids of an import are new: load the events only for those that are not
                for event in load_events(self.conn, column.in_(stored)):
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
        entity, row = self.resolve(raw.get("entity") or "")
        source = self.source(source_key)
        event = validation.make_event({**raw, "id": "draft"}, source, row["fiscal_year_end"],
                                      self.vocab)
        what = (event["attributes"].get("metric") or event["kind"]).replace("_", "-")
        base = f"{entity}/{dates.slug(event['valid_from'], event['valid_to'], event['precision'])}/{what}"
        candidate, n = base, 1
        while candidate in self.pending_ids or self._stored_event(candidate) is not None:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def insert_pending(self):
        """INSERT the staged events (and the sources before them); their projections wait for `flush`."""
        self.insert_sources()
        if not self.pending:
            return
        backend = backend_for(self.conn)
        if self.bulk is None and self.head_seq - self.start_seq > projections.REPLAY_THRESHOLD:
            # many events: a bulk load, whose projections are written as the events go in and
            # corrected at the end (projections.BulkApply); on an empty log, the plain indexes
            # of events are made once at the end too
            backend.prepare_bulk_load(self.conn, self.head_seq - self.start_seq)
            empty = self.start_seq == 0
            # (of events, the one whose rows come in random order: the others grow at one end)
            self.dropped = backend.drop_indexes(self.conn, [schema.events], ["ix_events_entity_valid_from"]) \
                if empty and not self.unprojected else []
            self.bulk = projections.BulkApply(self.conn, self.vocab, empty_log=empty)
            self.bulk.add(self.unprojected)
            self.unprojected = []
        columns = ["attributes_json" if c.name == "attributes" else c.name for c in schema.events.c]
        row = operator.itemgetter(*columns)  # every staged event has every column (see prepare and commit)
        backend.insert_many(self.conn, schema.events, (row(event) for event in self.pending))
        if self.bulk is None:
            self.unprojected.extend(self.pending)
        else:
            self.bulk.add(self.pending)
        self.pending, self.pending_ids = [], {}

    def flush(self, progress=None):
        """Insert the staged events and bring the projections up to date."""
        self.insert_pending()
        if self.bulk is not None:
            backend_for(self.conn).restore_indexes(self.conn, self.dropped)
            self.bulk.finish(progress or SILENT)
        elif self.unprojected:
            projections.apply(self.conn, self.unprojected, vocab=self.vocab)
        self.unprojected, self.bulk, self.status = [], None, {}
        if isinstance(self.report.event_ids, AddedIds):
            self.report.event_ids.until(self.head_seq)

    def chained(self, table, row):
        """`row` (every column but the hashes) with its place in its table's chain: prev_hash and hash."""
        head = self.registry_heads.get(table.name)
        if head is None:
            head = self.conn.execute(sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()
        row = {**row, "prev_hash": head or chain.GENESIS}
        row["hash"] = self.registry_heads[table.name] = chain.row_hash(table.name, row)
        return row

    def sync_id_sequences(self):
        """Move the id sequences past the ids assigned (PostgreSQL), for anyone inserting by hand."""
        backend_for(self.conn).sync_id_sequences(self.conn, self.last_ids)


def _identical(a, b):
    return a is b or (type(a) is type(b) and a == b)


def _as_hashed(event, hashed, digest):
    """True when `event` holds exactly the values an export's chain check hashed (bundles.ExportChain):
    the same source digest and attributes' JSON, and every other hashed field equal and of the same type."""
    fields, hashed_digest, attributes_json = hashed
    if hashed_digest != digest or attributes_json != event["attributes_json"]:
        return False
    for name, value in fields.items():
        mine = event.get(name)
        if mine is not value and (type(mine) is not type(value) or mine != value):
            return False
    return True


KEPT_IDS = 100_000  # a Report keeps the ids of at most this many added events in memory


class AddedIds(list):
    """The ids of the events a large import added, read back from the log the first time they are used
    (after the import committed), so the import need not hold millions of ids."""

    def __init__(self, items=(), *, engine=None, after_seq=0):
        super().__init__(items)
        self._source = (engine, after_seq) if engine is not None else None
        self._until = None

    def _load(self):
        if self._source is not None:
            engine, after = self._source
            self._source = None
            column = schema.events.c.seq
            with engine.connect() as conn:
                query = sa.select(schema.events.c.id).where(column > after).order_by(column)
                if self._until is not None:
                    query = query.where(column <= self._until)
                super().extend(conn.execute(query).scalars())
        return self

    def until(self, seq):
        self._until = seq

    def __iter__(self):
        return super(AddedIds, self._load()).__iter__()

    def __len__(self):
        return super(AddedIds, self._load()).__len__()

    def __getitem__(self, index):
        return super(AddedIds, self._load()).__getitem__(index)

    def __contains__(self, item):
        return super(AddedIds, self._load()).__contains__(item)

    def __eq__(self, other):
        return list(self._load()) == other

    def __repr__(self):
        return repr(list(self._load()))

    def __reversed__(self):
        return super(AddedIds, self._load()).__reversed__()

    __hash__ = None


def place(where, item, label):
    place = f"{item} ({label})" if label else item
    return f"{where}: {place}" if where else place
