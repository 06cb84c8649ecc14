"""The Python API: `Timeline`, one method per CLI command, one transaction per call.

    >>> from timeline import Timeline
    >>> tl = Timeline.init("timeline.db")
    >>> tl.import_paths(["events/"]).summary()
    >>> tl.state("ecarx", as_of="2025-06-30").state["revenue/quarter"].value

`timeline add` is `Timeline.add`, `timeline show` is `Timeline.state`, and so
on: the CLI parses options, calls one method and prints what it returns.  Every
mistake a user can make raises TimelineError with a one-line message, and a
failed write leaves the database exactly as it was.
"""
import re
from contextlib import contextmanager

from . import database, queries, vocabulary
from .backends import backend_for
from .errors import TimelineError
from .progress import SILENT
from .results import Publication
from .validation import iso_date
from .writer import Writer

# bundles, curation, importing, projections and verify are imported by the methods that use them:
# a command that shows or appends one fact should not load the machinery of bulk work


class Timeline:
    """A timeline database: SQLite file or PostgreSQL URL, opened for reading and writing."""

    def __init__(self, engine):
        self.engine = engine
        self.backend = backend_for(engine)

    @classmethod
    def open(cls, db=None):
        """Open an existing database (a path or a URL; default $TIMELINE_DB, else timeline.db)."""
        engine = database.connect(db)
        database.check(engine)
        return cls(engine)

    @classmethod
    def init(cls, db=None):
        """Create the database, or upgrade it to the current schema, and open it."""
        engine = database.connect(db, must_exist=False)
        database.upgrade(engine)
        return cls(engine)

    @property
    def url(self):
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _write(self):
        """One write transaction holding the log lock, as a Writer."""
        with self.backend.write_transaction(self.engine) as conn:
            writer = Writer(conn)
            yield writer
            writer.insert_sources()
            writer.sync_id_sequences()

    @contextmanager
    def _read(self):
        with self.engine.connect() as conn:
            yield conn

    # ---- writing ----

    def import_paths(self, paths, progress=None):
        """Import YAML bundles and JSON Lines exports (files or directories) in one transaction; returns
        a Report.  Files are read as streams, so memory stays bounded whatever their size (importing.py)."""
        from . import importing
        return self._import(lambda: importing.inputs_for(paths), progress)

    def import_bundles(self, parsed, progress=None):
        """Import parsed bundles (bundles.read) in one transaction; returns a Report."""
        from . import importing
        return self._import(lambda: importing.inputs_of(parsed), progress)

    def _import(self, inputs, progress):
        from . import importing
        progress = progress or SILENT
        with bulk_allocation():
            try:
                with self._write() as writer:
                    return importing.Importer(writer, progress).run(inputs())
            except importing.Restart:
                # a file names a record after its events that streaming cannot take in place:
                # the transaction rolled back; read every file in full first
                with self._write() as writer:
                    return importing.Importer(writer, progress, exact=True).run(inputs())

    def add_entity(self, key, name=None, type=None, aliases=(), parent=None, fiscal_year_end=None, note=None):
        """Add entity `key`, or new aliases to it (entities are never edited); returns a Report."""
        given = {"name": name, "type": type, "parent": parent, "fiscal_year_end": fiscal_year_end, "note": note}
        with self._write() as writer:
            existing = writer.registry.entities.get(key) if isinstance(key, str) else None
            if existing is None and not (name and type):
                raise TimelineError(f"entity '{key}' is new: give --name and --type")
            raw = {field: existing[field] for field in given if existing and existing.get(field) is not None}
            raw.update({field: value for field, value in given.items() if value is not None})
            writer.add_entities([{**raw, "key": key, "aliases": list(aliases)}], None)
            writer.check_parents()
            return writer.report

    def add_metric(self, key, label, unit, type, **details):
        """Add metric `key` (unit: currency, per_share, count, percent, points, ratio, physical; type: flow
        or stock) with section, chart, opposite, xbrl, words, description; returns a Report."""
        raw = {"key": key, "label": label, "unit": unit, "type": type, **details}
        with self._write() as writer:
            writer.add_metrics([{k: v for k, v in raw.items() if v is not None}], None)
            return writer.report

    def add_source(self, key, title, published_on, **details):
        """Add source `key`: title, published_on, and url, publisher, document_type, language, sha256, note."""
        raw = {"key": key, "title": title, "published_on": published_on, **details}
        with self._write() as writer:
            writer.add_source({k: v for k, v in raw.items() if v is not None}, None)
            return writer.report

    def add(self, entity, kind, date, summary, quote, source=None, *, attributes=None, attrs=(),
            counterparty=None, id=None, date_note=None, reported_on=None,
            valid_from=None, valid_to=None, precision=None):
        """Append one event; returns its id (derived as entity/period/what when not given).

        `source`: the key of the cited source, or a mapping describing a new one
        (title, published_on, url, publisher; key derived from title and date
        when not given), added in the same transaction.  `attributes`: as in a
        bundle; `attrs`: 'key=value' texts as on the command line
        ('revenue=155.6 million USD'), typed by the kind's vocabulary.
        `valid_from`, `valid_to`, `precision`: the span, when `date` cannot be
        read (all three, with a `date_note` saying how it was inferred).
        """
        raw = {"id": id, "entity": entity, "counterparty": counterparty, "kind": kind, "date": date,
               "date_note": date_note, "reported_on": reported_on, "summary": summary, "quote": quote,
               "valid_from": valid_from, "valid_to": valid_to, "precision": precision}
        raw = {k: v for k, v in raw.items() if v is not None}
        with self._write() as writer:
            raw["attributes"] = {**(attributes or {}), **_attributes(writer.vocab, attrs, kind)}
            source_key = self._cite(writer, source)
            if not raw.get("id"):
                raw["id"] = writer.derive_id(raw, source_key)
            writer.append([raw], None, default_source=source_key)
            writer.flush()
            return writer.report.event_ids[0]

    def correct(self, event_id, reason, source=None, *, attributes=None, attrs=(), keep_summary=False, **changes):
        """Append a corrected version of `event_id` that supersedes it; returns the new id.

        `changes`: entity, counterparty, kind, date, date_note, reported_on,
        summary, quote.  Attributes given replace those of the old version one
        by one; the rest are kept.  A correction that changes a figure must
        give the corrected summary too, or say `keep_summary` (the summary does
        not state the figure), so no row says one number and holds another.
        With a `source` (a key or a new source's mapping), the correction is
        reported on that source's date.
        """
        unknown = set(changes) - {"entity", "counterparty", "kind", "date", "date_note", "reported_on", "summary",
                                  "quote", "valid_from", "valid_to", "precision"}
        if unknown:
            raise TypeError(f"correct() got unexpected arguments: {', '.join(sorted(unknown))}")
        with self._write() as writer:
            source_key = self._cite(writer, source)
            old = writer.current_event(event_id, "correct")
            kind = changes.get("kind") or old["kind"]
            raw = writer.raw_from_event(old)
            changes = {k: v for k, v in changes.items() if v is not None}
            raw["attributes"].update({**(attributes or {}), **_attributes(writer.vocab, attrs, kind)})
            changed = sorted(name for name in set(raw["attributes"]) | set(old["attributes"])
                             if raw["attributes"].get(name) != old["attributes"].get(name))
            if changed and changes.get("summary") is None and not keep_summary:
                raise TimelineError(
                    f"the correction changes {', '.join(changed)} but keeps the summary {old['summary']!r}; "
                    "give the corrected --summary, or --keep-summary if the summary does not state it")
            if "date" in changes and not {"valid_from", "valid_to", "precision"} & set(changes):
                for name in ("valid_from", "valid_to", "precision", "date_note"):
                    raw.pop(name)
            raw.update(changes)
            raw.update(id=writer.next_version_id(event_id), supersedes=event_id, reason=reason)
            if source_key is not None:
                raw.pop("reported_on", None)
            writer.append([raw], None, default_source=source_key or old["source"])
            writer.flush()
            return raw["id"]

    def retract(self, event_id, reason, source=None):
        """Append an event that withdraws `event_id` (which stays in the log); returns its id."""
        with self._write() as writer:
            source_key = self._cite(writer, source)
            old = writer.current_event(event_id, "retract")
            raw = {
                "id": writer.next_version_id(event_id, suffix="retracted"),
                "entity": old["entity"], "kind": old["kind"], "date": old["date_text"],
                "valid_from": old["valid_from"], "valid_to": old["valid_to"], "precision": old["precision"],
                "date_note": f"the date of the retracted event {event_id}",
                "summary": f"Retraction of {event_id}: {reason}",
                "retracts": event_id, "reason": reason,
            }
            if source_key is None:
                raw["reported_on"] = old["reported_on"]
            writer.append([raw], None, default_source=source_key or old["source"])
            writer.flush()
            return raw["id"]

    @staticmethod
    def _cite(writer, source):
        """The key of the source an event cites; a new source's mapping is added first."""
        if not isinstance(source, dict):
            return source
        source = {k: v for k, v in source.items() if v is not None}
        if not source.get("key"):
            title, published_on = source.get("title") or "", str(source.get("published_on") or "")
            source["key"] = re.sub(r"[^a-z0-9]+", "-", f"{title.lower()[:60]}-{published_on}").strip("-")
        writer.add_source(source, None)
        return source["key"]

    def ingest_xbrl(self, path, entity=None, concepts=None):
        """Append the figures of an SEC companyfacts document (a JSON file) as events citing their
        filings, in one transaction; `concepts`: 'us-gaap:Revenues,…' or None for every mapped one.
        Returns an xbrl.IngestReport; re-reading the same document adds nothing."""
        from . import xbrl
        document = xbrl.read_document(path)
        with self._write() as writer:
            key = xbrl.resolve_entity(writer.registry, document, entity)
            report, events, sources = xbrl.plan(document, key, writer.registry.entities[key]["name"], writer.vocab,
                                                xbrl.stored_chains(writer.conn, key), concepts)
            for source in sources.values():
                if source["key"] not in writer.sources:
                    writer.add_source(source, document.path)
                    report.filings += 1
            writer.append_items([(raw, document.path, index, None) for index, raw in enumerate(events, 1)])
            writer.flush()
            return report

    def rebuild(self, progress=None):
        """Replay the log into fresh projections; returns the number of events replayed."""
        from . import projections
        with self._write() as writer:
            return projections.rebuild(writer.conn, vocab=writer.vocab, progress=progress)

    # ---- reading ----

    def resolve(self, name):
        """The key of the entity called `name` (key, name or alias, any case)."""
        with self._read() as conn:
            return queries.resolve(conn, name)

    def state(self, entity, as_of=None, known_at=None):
        """The State of `entity` (key, name or alias): now, as of a date, as known at a date."""
        as_of = iso_date(as_of, "as_of") if as_of is not None else None
        known_at = iso_date(known_at, "known_at") if known_at is not None else None
        with self._read() as conn:
            return queries.state(conn, queries.resolve(conn, entity), as_of=as_of, known_at=known_at)

    def log(self, entity=None, kind=None):
        """Every event (about `entity`, of `kind`) in order of recording, with its status."""
        if kind:
            vocabulary.check_kind(kind)
        with self._read() as conn:
            return queries.log(conn, queries.resolve(conn, entity) if entity else None, kind)

    def history(self, entity, metric):
        """Every value reported for `metric` of `entity`, by series and period, with corrections."""
        with self._read() as conn:
            vocabulary.for_connection(conn).check_metric(metric)
            return queries.history(conn, queries.resolve(conn, entity), metric)

    def vocabulary(self):
        """The Vocabulary of this log: the built-in kinds and metrics, and the metrics curators added."""
        with self._read() as conn:
            return vocabulary.for_connection(conn)

    def compare_filings(self, entity):
        """[xbrl.Comparison]: each standing curated figure of `entity` beside the standing filed one
        (from `ingest_xbrl`) of the same metric, series and period, and whether they agree."""
        from . import xbrl
        with self._read() as conn:
            return xbrl.compare(conn, queries.resolve(conn, entity))

    def entities(self):
        with self._read() as conn:
            return queries.entities(conn)

    def sources(self):
        with self._read() as conn:
            return queries.sources(conn)

    def head(self):
        """(seq, hash) of the last event; (0, None) for an empty log."""
        from .loading import head
        with self._read() as conn:
            return head(conn)

    def status(self, paths):
        """How the bundles under `paths` compare with the database (curation.Status)."""
        from . import curation
        with self._read() as conn:
            return curation.status(conn, paths)

    def verify(self, expect_head=None, progress=None):
        """Check every hash chain and that the projections equal a replay; returns a Verdict.

        `expect_head`: the event chain head the log must end with (catches a log cut short)."""
        from . import verify as verifying
        with self.backend.read_snapshot(self.engine) as conn:
            return verifying.verify(conn, expect_head=expect_head, progress=progress)

    @staticmethod
    def verify_file(path, expect_head=None, key=None, progress=None):
        """Verify a database file or URL that need not be a live log (a published file); `key`: the
        OpenSSH public key a published file must be signed by."""
        from . import verify as verifying
        with database.connect(path).connect() as conn:
            return verifying.verify(conn, expect_head=expect_head, key=key, progress=progress)

    def export(self, format="jsonl"):
        """The whole log as text: JSON Lines (re-importable) or CSV (events only)."""
        return "".join(self.export_chunks(format))

    def export_chunks(self, format="jsonl", progress=None):
        """The whole log as text (see `export`), a piece at a time, from one snapshot: what `timeline
        export` writes, for a log of any size."""
        from . import bundles
        progress = progress or SILENT
        with self.backend.read_snapshot(self.engine) as conn, \
                progress.task("exporting", total=self._count_events(conn), unit="events") as task:
            records = _counted(queries.export_records(conn, stream=True), task)
            yield from bundles.jsonl_lines(records) if format == "jsonl" else bundles.csv_chunks(records)

    @staticmethod
    def _count_events(conn):
        from .loading import head
        return head(conn)[0]

    def write_back(self, directory, force=False):
        """Write the whole log into `directory` (events/) as YAML bundles; returns curation.WrittenBack."""
        from . import curation
        with self.backend.read_snapshot(self.engine) as conn:
            return curation.write_back(conn, directory, force)

    def publish(self, out, force=False, if_stale=False, sign=None, progress=None):
        """Write the published SQLite file to `out`; returns a Publication.

        `if_stale`: do nothing (return None) when `out` already publishes
        exactly this log.  `sign`: an Ed25519 OpenSSH private key file that
        signs the publication record.
        """
        from . import publish as publishing
        if if_stale and not publishing.is_stale(self.engine, out):
            return None
        return Publication(**publishing.publish(self.engine, out, force=force, sign=sign, progress=progress))

    def copy_to(self, db, progress=None):
        """Copy the whole log into the new or empty database `db` and verify it there."""
        from .transfer import copy_log
        return copy_log(self.engine, database.connect(db, must_exist=False), progress=progress)

    def draft(self, document, source_key, **options):
        """Draft a bundle from a document file, finding entities through this registry."""
        from . import draft as drafting
        with self._read() as conn:
            index = drafting.EntityIndex([entity.to_dict() for entity in queries.entities(conn)])
        return drafting.draft_file(document, source_key=source_key, index=index, **options)


def _counted(records, task):
    """`records`, advancing `task` by the events among them, a thousand at a time."""
    count = 0
    for record in records:
        if record["record"] == "event":
            count += 1
            if count == 1000:
                task.advance(count)
                count = 0
        yield record
    task.advance(count)


def _attributes(vocab, options, kind):
    attributes = {}
    for option in options:
        attributes.update(vocab.parse_attribute_option(option, kind))
    return attributes


@contextmanager
def bulk_allocation():
    """Collect garbage rarely while a bulk import runs.

    An import allocates a batch of rows after another; the objects alive
    before it (the modules, SQLAlchemy's caches) are frozen out of the
    collector's way, and the youngest generation is collected every 50,000
    allocations instead of 700, so the collector costs little but memory
    stays bounded.  The thresholds are restored on the way out.
    """
    import gc

    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
