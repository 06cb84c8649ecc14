"""Publishing: the read-only SQLite file Datasette serves and readers download.

`publish(engine, out_path)` reads the live log through SQLAlchemy (SQLite or
PostgreSQL) and writes one self-contained SQLite file:

- the log (sources, entities, entity_aliases, events) and the projections
  (event_status, entity_state, metric_history, relationships), row for row;
- the schema the migrations create, triggers and the `timeline` view
  included, so the published copy refuses UPDATE and DELETE on events too
  (alembic_version is dropped: a published file is not a database to upgrade);
- helpers for readers: `event_periods` (each event's date as people write it,
  "Q2 2025"), `state_values` (the state value every event sets, standing or
  not, which the "state as of" and "known at" canned queries rank), the views
  `current_events`, `entity_summary` and `corrections`, and `timeline_fts`, an
  FTS5 index over summaries, quotes, source titles and entity names whose
  content is the `timeline` view (rowid = event seq);
- `publication`: the chain head hash and event count `timeline verify` checks a
  downloaded copy against, when it was built, the schema revision and the
  timeline version that built it.

The file is built next to OUT under a temporary name, checked, taken out of
WAL mode (journal_mode=DELETE) and renamed into place with os.replace, so a
reader sees the old file or the new one, never half of one.  It is built set
by set, not row by row: from a SQLite log the tables are copied by SQL
(ATTACH, INSERT … SELECT, in one read transaction: one state of the log),
from PostgreSQL they stream in batches; the plain indexes are made after the
rows, the search index in one pass, and the reader tables stream through
Python (their rules are Python's).  The check then rehashes every chain of
the file (a log tampered with behind the triggers' back is not published),
in a second process while this one makes the indexes.  The projections are
the log's own, copied as they are; `timeline verify FILE` checks them
against a replay too.  Memory stays bounded whatever the size of the log.

Every publish builds the whole file, also when OUT holds a publication of an
earlier head of the same log: little of the work is proportional to what was
appended.  `state_values.rank` is each event's place among all events, so an
appended event moves the rank of most rows (100 events appended to a
100,000-event log moved 88,432 of 88,438); old events' projections change
with corrections; and the search index, the key order of the tables and
ANALYZE must be rebuilt for the file to be the one a full build gives.

Given the same log the rows are the same whichever backend held it: rows are
copied in primary-key order compared as Python values (code point order,
which is SQLite's BINARY order and PostgreSQL's "C" collation), never in the
source database's own collation.  Only `publication.built_at` differs
between two builds; set SOURCE_DATE_EPOCH to pin it for a byte-reproducible
file.
"""
import datetime as dt
import functools
import json
import os
import re
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa

from . import __version__, chain, database, display, rules, schema, signing, vocabulary
from .backends import backend_for
from .errors import TimelineError
from .loading import head
from .batches import batched
from .progress import SILENT
from .registry import fold

# copied in this order: what a row refers to is copied before it
COPIED_TABLES = (schema.entities, schema.entity_aliases, schema.sources, schema.metrics, schema.events) + schema.PROJECTIONS
CHUNK = 5000

HELPER_TABLES_SQL = [
    """CREATE TABLE event_periods (
        seq INTEGER PRIMARY KEY REFERENCES events(seq),
        period TEXT NOT NULL
    )""",
    """CREATE TABLE state_values (
        seq INTEGER PRIMARY KEY REFERENCES events(seq),
        event_id TEXT NOT NULL,
        entity TEXT NOT NULL REFERENCES entities(key),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        display TEXT NOT NULL,
        amount REAL,
        unit TEXT,
        qualifier TEXT,
        valid_from TEXT NOT NULL,
        valid_to TEXT NOT NULL,
        precision TEXT NOT NULL,
        period TEXT NOT NULL,
        reported_on TEXT NOT NULL,
        source_key TEXT NOT NULL,
        status TEXT NOT NULL,
        rank INTEGER NOT NULL
    )""",
    """CREATE TABLE entity_names (
        name TEXT NOT NULL,
        entity TEXT NOT NULL REFERENCES entities(key),
        PRIMARY KEY (name, entity)
    )""",
]

EXTRA_SQL = [
    "CREATE INDEX ix_state_values_entity_key ON state_values (entity, key, valid_from)",
    "CREATE INDEX ix_events_counterparty ON events (counterparty)",
    "CREATE INDEX ix_entity_names_entity ON entity_names (entity)",
    "CREATE INDEX ix_event_status_changed_by ON event_status (changed_by)",
    "CREATE INDEX ix_relationships_counterparty ON relationships (counterparty)",
    # ---- views for readers ----
    """CREATE VIEW current_events AS
    SELECT t.seq, t.event_id, p.period, t.entity, t.entity_name, t.counterparty, t.counterparty_name,
           t.kind, t.date_text, t.valid_from, t.valid_to, t.precision, t.reported_on, t.summary,
           t.attributes, t.quote, t.source_key, t.source_title, t.source_url, t.supersedes, t.reason
    FROM timeline t JOIN event_periods p ON p.seq = t.seq
    WHERE t.status = 'current' AND t.retracts IS NULL""",
    """CREATE VIEW entity_summary AS
    SELECT en.key, en.name, en.type, en.parent,
           (SELECT group_concat(alias, '; ') FROM
               (SELECT a.alias FROM entity_aliases a WHERE a.entity = en.key ORDER BY a.alias)) AS aliases,
           (SELECT count(*) FROM events e WHERE e.entity = en.key) AS events,
           (SELECT count(*) FROM events e JOIN event_status s ON s.seq = e.seq
             WHERE e.entity = en.key AND s.status = 'current' AND e.retracts IS NULL) AS standing_events,
           (SELECT count(*) FROM events e WHERE e.counterparty = en.key) AS as_counterparty,
           (SELECT min(e.valid_from) FROM events e WHERE e.entity = en.key) AS first_date,
           (SELECT max(e.valid_to) FROM events e WHERE e.entity = en.key) AS last_date,
           (SELECT count(DISTINCT e.source_id) FROM events e WHERE e.entity = en.key) AS sources,
           (SELECT count(*) FROM entity_state st WHERE st.entity = en.key) AS state_keys,
           en.note
    FROM entities en""",
    # every state value with the spans of "known at" dates over which its event stood:
    # the state queries keep the rows standing at their date and take the highest rank
    """CREATE VIEW state_candidates AS
    SELECT v.entity, v.key, v.display, v.period, v.valid_from, v.valid_to, v.reported_on, v.event_id,
           v.source_key, v.seq, v.rank, s.known_from, s.known_until, s.status, s.changed_by
    FROM state_values v JOIN event_standing s ON s.seq = v.seq""",
    """CREATE VIEW corrections AS
    SELECT c.seq, c.id AS event_id,
           CASE WHEN c.supersedes IS NOT NULL THEN 'correction' ELSE 'retraction' END AS action,
           c.entity, COALESCE(c.supersedes, c.retracts) AS changed_event, o.seq AS changed_seq,
           o.summary AS changed_summary, c.summary, c.reason, c.reported_on, s.key AS source_key
    FROM events c
    JOIN events o ON o.id = COALESCE(c.supersedes, c.retracts)
    JOIN sources s ON s.id = c.source_id
    WHERE c.supersedes IS NOT NULL OR c.retracts IS NOT NULL""",
    # ---- full-text search: the timeline view is the content, the event seq the rowid ----
    """CREATE VIRTUAL TABLE timeline_fts USING fts5(
        summary, quote, source_title, entity_name,
        content="timeline", content_rowid="seq", tokenize="unicode61 remove_diacritics 2"
    )""",
    "INSERT INTO timeline_fts (timeline_fts) VALUES ('rebuild')",
    # ---- the record `timeline verify` checks a downloaded copy against ----
    """CREATE TABLE publication (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        head_hash TEXT NOT NULL,
        event_count INTEGER NOT NULL,
        entity_count INTEGER NOT NULL,
        source_count INTEGER NOT NULL,
        entities_head TEXT NOT NULL,
        entity_aliases_head TEXT NOT NULL,
        sources_head TEXT NOT NULL,
        metrics_head TEXT NOT NULL,
        built_at TEXT NOT NULL,
        schema_revision TEXT NOT NULL,
        timeline_version TEXT NOT NULL,
        signed_message TEXT NOT NULL,
        signature TEXT
    )""",
]


def publish(engine, out_path, built_at=None, verify_output=True, force=False, sign=None, progress=SILENT):
    """Write the published SQLite file for the log behind `engine` to `out_path`.

    Returns a summary dict: path, head_hash, event_count, entity_count,
    source_count, built_at, schema_revision, timeline_version, bytes.
    `sign`: the path of an Ed25519 OpenSSH private key that signs the
    publication record (signing.py).
    Raises TimelineError (leaving any existing file at `out_path` untouched)
    when the source is not a timeline database, the built file fails verify,
    or `out_path` holds something publish did not write (see check_target).
    """
    database.check(engine)
    out = Path(out_path)
    check_target(engine, out, force)
    if sign:
        signing.load_private_key(sign)  # a bad key is an error before anything is built
    remove_stale_builds(out)
    built_at = built_at or _build_time()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".building", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # alembic creates the file itself; we only wanted a unique, hidden name
    try:
        summary = _build(engine, tmp, built_at, verify_output, sign, progress or SILENT)
        _finish(tmp)
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    finally:
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
            if leftover.exists():
                leftover.unlink()
    summary.update(path=str(out), bytes=out.stat().st_size)
    return summary


def check_target(engine, out, force=False):
    """Refuse to replace what is not ours: publish writes only where it published before.

    Never the live database it reads (not even with --force: the log would be
    gone), never a device, a directory or a missing directory.  A symlink, a
    live timeline database, or any file that is not a published file is
    replaced only with `force`.
    """
    if _is_source_file(engine, out):
        raise TimelineError(f"{out} is the database being published; publish to another file")
    try:
        if out.is_symlink():
            if force:
                return
            raise TimelineError(f"{out} is a symbolic link; publish will not replace it (pass --force to replace the link)")
        if out.is_dir():
            raise TimelineError(f"{out} is a directory; give the path of the .db file to write")
        if not out.parent.is_dir():
            raise TimelineError(f"cannot publish to {out}: directory {out.parent} does not exist")
        if not out.exists():
            return
        if not out.is_file():
            raise TimelineError(f"{out} is not a regular file (a device or a pipe); publish will not replace it")
    except OSError as error:
        raise TimelineError(f"cannot publish to {out}: {error.strerror or error}") from None
    if force or (read_publication(out) is not None and not _is_timeline_database(out)):
        return
    what = "a live timeline database" if _is_timeline_database(out) else "a file timeline did not publish"
    raise TimelineError(f"{out} holds {what}; publish will not overwrite it (pass --force to replace it)")


def _is_source_file(engine, out):
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
        return False
    try:
        return out.exists() and Path(engine.url.database).resolve() == out.resolve()
    except OSError:
        return False


def _is_timeline_database(path):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def remove_stale_builds(out):
    """Delete the temporary files of publishes to `out` whose process is gone (killed mid-build)."""
    for leftover in out.parent.glob(f".{out.name}.*.building*"):
        pid = leftover.name[len(out.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and process_alive(int(pid)):
            continue  # another publish is building right now
        try:
            leftover.unlink()
        except OSError:
            pass


def process_alive(pid):
    """True while process `pid` exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_publication(path):
    """The publication row of a published file as a dict, or None if it has none (or is not one)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT * FROM publication").fetchone()
            return dict(row) if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None


def is_stale(engine, path):
    """True unless `path` is a publication of exactly the log behind `engine`, by this timeline."""
    record = read_publication(path)
    if record is None:
        return True
    with engine.connect() as conn:
        count, head_hash = head(conn)
        revision = database.current_revision(conn)
    return (record.get("event_count"), record.get("head_hash"), record.get("schema_revision"),
            record.get("timeline_version")) != (count, head_hash or _genesis(), revision, __version__)


# ---- building ----

BUILD_CACHE_KIB = 128 * 1024  # page cache of the file being built


def _build(engine, tmp, built_at, verify_output, sign, progress):
    checking = readers = None
    snapshot = backend_for(engine).name == "sqlite" and engine.url.database
    with progress.task("copying the log", total=None, unit="tables") as task:
        if snapshot:
            indexes = _snapshot(engine.url.database, tmp)
        else:
            indexes = _copy_streamed(engine, tmp, task)
    dst = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        dst.execute("PRAGMA journal_mode = WAL")  # the checks read it while it is being finished
        dst.execute("PRAGMA synchronous = OFF")  # a build that fails is thrown away
        dst.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        revision = dst.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        counts = _counts(dst)
        # the chains rehashed, and the reader tables' rows worked out, by two more processes, while
        # this one makes the search index
        if verify_output:
            checking = _Forked(_chains_problem, tmp)
        readers = _Forked(_reader_rows, tmp)
        if snapshot:  # (neither reads those tables)
            _in_key_order_everywhere(dst)
        dst.execute("BEGIN")
        dst.execute("DROP TABLE alembic_version")
        for statement in HELPER_TABLES_SQL:
            dst.execute(statement)
        entities, aliases = (dst.execute(sql).fetchall() for sql in NAME_SQL)
        dst.executemany("INSERT INTO entity_names (name, entity) VALUES (?, ?)", name_rows(entities, aliases))
        later = [sql for sql in EXTRA_SQL if "ON state_values" in sql]
        with progress.task("indexes and the search index", total=len(indexes) + len(EXTRA_SQL), unit="steps") as task:
            for sql in indexes:
                dst.execute(sql)
                task.advance()
            for statement in EXTRA_SQL:
                if statement not in later:
                    dst.execute(statement)
                    task.advance()
        with progress.task("reader tables", total=None, unit="rows"):
            problem = readers.result()
            readers = None
            if problem:
                raise TimelineError(f"could not work out the reader tables: {problem}")
            _take_reader_rows(dst, tmp)
            for statement in later:
                dst.execute(statement)
        head_hash = dst.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        summary = {
            "head_hash": head_hash[0] if head_hash else _genesis(),
            "event_count": counts["events"],
            "entity_count": counts["entities"],
            "source_count": counts["sources"],
            **registry_heads_of(dst),
            "built_at": built_at,
            "schema_revision": revision,
            "timeline_version": __version__,
        }
        summary["signed_message"] = signing.message(summary)
        summary["signature"] = signing.sign(summary["signed_message"], sign) if sign else None
        columns = ", ".join(summary)
        dst.execute(f"INSERT INTO publication (id, {columns}) VALUES (1, {', '.join(':' + c for c in summary)})",
                    summary)
        dst.execute("COMMIT")
        _schema_in_creation_order(dst)
        dst.close()  # (its idea of the schema is of before the reordering)
        dst = sqlite3.connect(str(tmp), isolation_level=None)
        dst.execute("PRAGMA synchronous = OFF")
        dst.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        dst.execute("ANALYZE")  # every index read in full: the same statistics whatever built the file
        if checking is not None:
            with progress.task("checking the chains", total=None, unit="events"):
                problem = checking.result()
            checking = None
            if problem:
                raise TimelineError(f"the published file failed verification: {problem}")
            _check_record(dst, summary)
    finally:
        for forked in (checking, readers):
            if forked is not None:
                forked.stop()
        dst.close()
        _remove(_side_file(tmp))
    return summary


def _snapshot(path, tmp):
    """`tmp`: a copy of the SQLite log at `path` as one read transaction saw it (VACUUM INTO: pages
    copied in order, indexes and all), in WAL mode.  Returns [] (no index left to make)."""
    src = sqlite3.connect(str(path), isolation_level=None)
    try:
        src.execute("VACUUM INTO ?", (str(tmp),))
    finally:
        src.close()
    dst = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        dst.execute("PRAGMA journal_mode = WAL")  # the checks read it while it is being finished
    finally:
        dst.close()
    return []


def _in_key_order_everywhere(dst):
    """Rewrite the copied tables whose key is not the rowid in key order (so the file holds them as a copy
    from any backend does: a SQLite log holds them in the order they were written)."""
    dst.execute("BEGIN")
    for table in COPIED_TABLES:
        order = _in_key_order(table)
        if not order:
            continue
        plain = dst.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                            "AND tbl_name = ?", (table.name,)).fetchall()
        for name, _ in plain:
            dst.execute(f'DROP INDEX "{name}"')
        columns = ", ".join(c.name for c in table.c)
        dst.execute(f"CREATE TEMP TABLE keyed AS SELECT {columns} FROM main.{table.name}{order}")
        dst.execute(f"DELETE FROM main.{table.name}")
        dst.execute(f"INSERT INTO main.{table.name} ({columns}) SELECT {columns} FROM keyed")
        dst.execute("DROP TABLE keyed")
        for _, sql in plain:
            dst.execute(sql)
    dst.execute("COMMIT")


def _copy_streamed(engine, tmp, task):
    """Copy the tables of a server's log into a new file of the live schema, streamed in batches from
    one snapshot, in primary-key order as code points compare (the "C" collation), whatever the
    database's collation; returns the plain indexes left to make once the reader tables are in."""
    out_engine = database.connect(str(tmp), must_exist=False)
    database.upgrade(out_engine)  # the live schema: tables, indexes, triggers, the timeline view
    out_engine.dispose()
    dst = sqlite3.connect(str(tmp), isolation_level=None)
    try:
        dst.execute("PRAGMA synchronous = OFF")
        dst.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        indexes = [sql for (sql,) in dst.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
            f"({', '.join(repr(t.name) for t in (schema.events, *schema.PROJECTIONS))}) ORDER BY name")]
        for sql in indexes:  # made once the rows are in (the same statements)
            dst.execute(f"DROP INDEX {sql.split(' ON ')[0].split()[-1]}")
        with backend_for(engine).read_snapshot(engine) as src:
            dst.execute("BEGIN")
            dst.execute("UPDATE alembic_version SET version_num = ?", (database.current_revision(src),))
            for table in COPIED_TABLES:
                order = [sa.collate(c, "C") if isinstance(c.type, sa.String) else c
                         for c in table.primary_key.columns]
                result = src.execute(sa.select(table).order_by(*order)
                                     .execution_options(stream_results=True, yield_per=CHUNK))
                sql = (f"INSERT INTO {table.name} ({', '.join(c.name for c in table.c)}) "
                       f"VALUES ({', '.join('?' * len(table.c))})")
                for rows in result.partitions(CHUNK):
                    dst.executemany(sql, [tuple(row) for row in rows])
                task.advance()
            dst.execute("COMMIT")
    finally:
        dst.close()
    return indexes


@functools.lru_cache(maxsize=1)
def _created_order():
    """(type, name) of the indexes, triggers and views of a new timeline database, in the order the
    migrations create them."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "order.db"
        engine = database.connect(str(path), must_exist=False)
        database.upgrade(engine)
        engine.dispose()
        conn = sqlite3.connect(str(path))
        try:
            return conn.execute("SELECT type, name FROM sqlite_master WHERE sql IS NOT NULL "
                                "AND type IN ('index', 'trigger', 'view') ORDER BY rowid").fetchall()
        finally:
            conn.close()


def _schema_in_creation_order(dst):
    """List the file's indexes, triggers and views in the schema table as VACUUM lists those of a file
    built from a new database: the indexes, then the triggers and views, each in the order they are
    made (a new database's first, then the reader tables' own), whatever order the log's history or
    this build left them in.  A dump of the file (sqlite3 iterdump) then reads the same from every
    backend and every history, as it did when every publication was vacuumed.  Only the schema
    table's rows move (through writable_schema): every definition and every page stays as it is."""
    created = {key: place for place, key in enumerate(_created_order())}
    extra = {re.search(r"CREATE (?:UNIQUE |VIRTUAL )?(?:INDEX|VIEW|TABLE|TRIGGER) (\w+)", sql).group(1): place
             for place, sql in enumerate(HELPER_TABLES_SQL + EXTRA_SQL) if sql.lstrip().startswith("CREATE")}

    def place(row):
        if (row[1], row[2]) in created:
            made = (0, created[row[1], row[2]])
        else:
            made = (1, extra.get(row[2], len(extra)), row[0])
        return (row[1] != "index", *made)
    rows = dst.execute("SELECT rowid, type, name, tbl_name, rootpage, sql FROM sqlite_master WHERE sql IS NOT NULL "
                       "AND type IN ('index', 'trigger', 'view') ORDER BY rowid").fetchall()
    wanted = sorted(rows, key=place)
    if wanted == rows:
        return
    dst.execute("BEGIN")
    dst.execute("PRAGMA writable_schema = ON")
    try:
        dst.execute("DELETE FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('index', 'trigger', 'view')")
        dst.executemany("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES (?, ?, ?, ?, ?)",
                        [row[1:] for row in wanted])
        dst.execute("COMMIT")
    finally:
        if dst.in_transaction:
            dst.execute("ROLLBACK")
        dst.execute("PRAGMA writable_schema = OFF")


def _in_key_order(table):
    """ORDER BY the primary key, unless it is the rowid (a table is read in rowid order anyway)."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
        return ""
    return " ORDER BY " + ", ".join(c.name for c in pk)


def _counts(dst):
    return {name: dst.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in ("events", "entities", "sources")}


def registry_heads(conn):
    """{'<table>_head': hash of its last row} for the registry's chains (chain.REGISTRY_TABLES)."""
    heads = {}
    for name in chain.REGISTRY_TABLES:
        table = schema.metadata.tables[name]
        found = conn.execute(sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()
        heads[f"{name}_head"] = found or _genesis()
    return heads


def registry_heads_of(dst):
    """registry_heads, from a sqlite3 connection."""
    heads = {}
    for name in chain.REGISTRY_TABLES:
        found = dst.execute(f"SELECT hash FROM {name} ORDER BY id DESC LIMIT 1").fetchone()
        heads[f"{name}_head"] = found[0] if found else _genesis()
    return heads


# ---- the reader tables: computed from the log, streamed ----

PERIOD_SQL = "SELECT seq, valid_from, valid_to, precision FROM events ORDER BY seq"
# every event in rules.rank order, by the columns rules.rank compares: its place there is state_values.rank
RANK_SQL = f"SELECT seq FROM events ORDER BY {', '.join(rules.RANK)}"
# every event in seq order with the state key and the status its projections hold
STATE_SQL = (
    "SELECT e.seq, e.id, e.entity, e.kind, e.attributes, e.counterparty, e.valid_from, e.valid_to, e.precision, "
    "e.reported_on, e.source_id, st.state_key, COALESCE(st.status, 'current') "
    "FROM events e LEFT JOIN event_status st ON st.seq = e.seq ORDER BY e.seq")
SOURCE_KEYS_SQL = "SELECT id, key FROM sources"
STATE_COLUMNS = ("seq", "event_id", "entity", "key", "value", "display", "amount", "unit", "qualifier", "valid_from",
                 "valid_to", "precision", "period", "reported_on", "source_key", "status", "rank")


def places(seqs):
    """{seq: place} as an array indexed by seq: each event's place (from 1) in the order `seqs` come."""
    from array import array
    seqs = [seq for (seq,) in seqs]
    found = array("q", bytes(8 * (max(seqs, default=0) + 1)))
    for place, seq in enumerate(seqs, 1):
        found[seq] = place
    return found


class _Periods(dict):
    """display.period of a span, worked out once per span (a log has a few thousand)."""

    def __missing__(self, span):
        found = self[span] = display.period(*span)
        return found


def period_rows(rows):
    """event_periods rows (seq, period) from (seq, valid_from, valid_to, precision) rows in seq order."""
    periods = _Periods()
    for seq, valid_from, valid_to, precision in rows:
        yield seq, periods[valid_from, valid_to, precision]


def state_rows(rows, vocab, ranks, sources):
    """state_values rows (tuples in STATE_COLUMNS order), in seq order, from STATE_SQL's rows: the state
    value every event with a state key sets, standing or not, with its place in rules.rank order
    (`ranks`, from places(RANK_SQL's rows)); `sources`: {source id: key}."""
    periods = _Periods()
    for (seq, event_id, entity, kind, attributes, counterparty, valid_from, valid_to, precision, reported_on,
         source_id, key, status) in rows:
        if key is None:
            continue
        rank = ranks[seq]
        source = sources.get(source_id)
        event = {"seq": seq, "id": event_id, "entity": entity, "kind": kind, "attributes": json.loads(attributes),
                 "counterparty": counterparty, "valid_from": valid_from, "valid_to": valid_to,
                 "precision": precision, "reported_on": reported_on, "source": source}
        value = rules.state_value(event, vocab)
        row = rules.state_row(event, key, vocab, value)
        yield (seq, event_id, entity, key, row["value"], display.value(value, vocab), row["amount"], row["unit"],
               value.get("qualifier") if isinstance(value, dict) else None, valid_from, valid_to, precision,
               periods[valid_from, valid_to, precision], reported_on, source, status, rank)


def name_rows(entities, aliases):
    """entity_names rows (name, entity), sorted: every key, name and alias folded as registry.fold folds them."""
    names = set()
    for key, name in entities:
        names.update({(fold(key), key), (fold(name), key)})
    for entity, alias in aliases:
        names.add((fold(alias), entity))
    return sorted(names)


NAME_SQL = ("SELECT key, name FROM entities", "SELECT entity, alias FROM entity_aliases")


def reader_tables(conn):
    """{table name: rows} of the tables publish adds for readers, computed from the log in `conn` (a
    published file): rows as dicts.  Holds them all: for a large file use reader_streams.

    - event_periods: each event's period as people write it ("Q2 2025");
    - state_values: the state value every event sets, standing or not, with
      `rank`, its place in rules.rank order (the state queries take the
      highest rank among the rows standing at their date);
    - entity_names: every key, name and alias folded as registry.fold folds
      them (the queries find an entity by `fold_name(:entity)`).
    """
    return {name: [dict(zip(columns, row)) for row in rows]
            for name, (columns, rows) in reader_streams(conn).items()}


def reader_streams(conn):
    """{table name: (columns, rows in the order the stored table is compared in)} (see reader_tables);
    `conn` a SQLAlchemy connection to a SQLite file whose projections agree with its log."""
    vocab = vocabulary.for_connection(conn)

    def rows(sql):
        return conn.exec_driver_sql(sql)

    entities, aliases = (rows(sql).all() for sql in NAME_SQL)
    return {
        "event_periods": (("seq", "period"), period_rows(rows(PERIOD_SQL))),
        "state_values": (STATE_COLUMNS, state_rows(rows(STATE_SQL), vocab, places(rows(RANK_SQL)),
                                                   dict(rows(SOURCE_KEYS_SQL).all()))),
        "entity_names": (("name", "entity"), iter(name_rows(entities, aliases))),
    }


STORED_ORDER = {"event_periods": "seq", "state_values": "seq", "entity_names": "name, entity"}


def _reader_rows(path):
    """Work out the reader tables' rows (event_periods, state_values) of the file at `path` into its side
    file (_side_file), for _take_reader_rows to copy in.  Returns None, or what went wrong."""
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    side_path = _side_file(path)
    _remove(side_path)
    side = sqlite3.connect(str(side_path), isolation_level=None)
    try:
        side.execute("PRAGMA journal_mode = OFF")
        side.execute("PRAGMA synchronous = OFF")
        side.execute("BEGIN")
        side.execute("CREATE TABLE event_periods (seq INTEGER PRIMARY KEY, period TEXT)")
        side.execute(f"CREATE TABLE state_values ({', '.join(STATE_COLUMNS)})")
        for batch in batched(period_rows(src.execute(PERIOD_SQL)), CHUNK):
            side.executemany("INSERT INTO event_periods VALUES (?, ?)", batch)
        ranks = places(src.execute(RANK_SQL))
        placeholders = ", ".join("?" * len(STATE_COLUMNS))
        sources = dict(src.execute(SOURCE_KEYS_SQL).fetchall())
        for batch in batched(state_rows(src.execute(STATE_SQL), _vocabulary_of(src), ranks, sources), CHUNK):
            side.executemany(f"INSERT INTO state_values VALUES ({placeholders})", batch)
        side.execute("COMMIT")
    finally:
        side.close()
        src.close()
    return None


def _take_reader_rows(dst, tmp):
    """Copy the reader tables' rows _reader_rows worked out into the file being built (between two of
    its transactions: a database is attached and detached outside one)."""
    dst.execute("COMMIT")
    dst.execute("ATTACH DATABASE ? AS side", (str(_side_file(tmp)),))
    try:
        dst.execute("BEGIN")
        dst.execute("INSERT INTO main.event_periods (seq, period) SELECT seq, period FROM side.event_periods")
        columns = ", ".join(STATE_COLUMNS)
        dst.execute(f"INSERT INTO main.state_values ({columns}) SELECT {columns} FROM side.state_values")
        dst.execute("COMMIT")
    finally:
        if dst.in_transaction:
            dst.execute("ROLLBACK")
        dst.execute("DETACH DATABASE side")
    dst.execute("BEGIN")


def _side_file(tmp):
    return Path(f"{tmp}.readers")


def _remove(path):
    for leftover in (path, *(Path(f"{path}{s}") for s in ("-journal", "-wal", "-shm"))):
        try:
            leftover.unlink()
        except FileNotFoundError:
            pass


def _vocabulary_of(dst):
    rows = [dict(zip([d[0] for d in cursor.description], row))
            for cursor in [dst.execute("SELECT * FROM metrics ORDER BY id")] for row in cursor.fetchall()]
    return vocabulary.builtin().with_metrics(rows) if rows else vocabulary.builtin()



# ---- work done by other processes while the file is built ----

class _Forked:
    """`function(path)` run by a forked process (or here, where there is no fork); `result()` waits for
    what it returns: None, or a problem in words."""

    def __init__(self, function, path):
        import multiprocessing
        self.path = str(path)
        if "fork" not in multiprocessing.get_all_start_methods():
            self.process, self.verdict = None, function(self.path)
            return
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_run_in_child, args=(function, self.path, send), daemon=True)
        self.process.start()
        send.close()

    def result(self):
        if self.process is None:
            return self.verdict
        try:
            verdict = self.receive.recv()
        except EOFError:
            verdict = "the process doing it ended without a word"
        self.stop()
        return verdict

    def stop(self):
        if self.process is not None:
            if self.process.is_alive():
                self.process.terminate()
            self.process.join()
            self.receive.close()
            self.process = None


def _run_in_child(function, path, send):
    try:
        verdict = function(path)
    except BaseException as error:  # noqa: BLE001 - said to the parent, which fails the publish
        verdict = f"{function.__name__} failed: {error!r}"
    try:
        send.send(verdict)
        send.close()
    finally:
        os._exit(0)


def _chains_problem(path):
    """None if every chain of the SQLite file at `path` verifies (events, then the registry), else why not."""
    from . import verify
    engine = database.connect(str(path))
    try:
        with engine.connect() as conn:
            verdict = verify.verify_chain(conn)
            if verdict.ok:
                verdict = verify.verify_registry(conn, verdict)
        return None if verdict.ok else verdict.message()
    finally:
        engine.dispose()


def _check_record(dst, summary):
    """The publication record says what the file holds (its counts and heads, read again)."""
    found = {**_counts(dst), **registry_heads_of(dst)}
    expected = {"events": summary["event_count"], "entities": summary["entity_count"],
                "sources": summary["source_count"], **{k: summary[k] for k in found if k.endswith("_head")}}
    if found != expected:
        raise TimelineError("the published file failed verification: it does not hold what its record says")


# ---- what `timeline verify` checks a published file against ----

def _schema(conn):
    """{(type, name): sql} of a SQLite file's tables, views, indexes and triggers."""
    rows = conn.exec_driver_sql("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").all()
    return {(kind, name): " ".join((sql or "").split()) for kind, name, sql in rows}


@functools.lru_cache(maxsize=1)
def canonical_schema():
    """The schema publish writes, read off the publication of an empty log built for the purpose."""
    with tempfile.TemporaryDirectory() as directory:
        live = database.connect(str(Path(directory) / "live.db"), must_exist=False)
        database.upgrade(live)
        publish(live, Path(directory) / "site.db", built_at="1970-01-01T00:00:00Z", verify_output=False)
        live.dispose()
        site = database.connect(str(Path(directory) / "site.db"))
        with site.connect() as conn:
            found = _schema(conn)
        site.dispose()
    return found


def schema_differences(conn):
    """What differs between a published file's schema and the one publish writes, in words; None if nothing."""
    found, expected = _schema(conn), canonical_schema()
    for key in sorted(set(found) | set(expected)):
        if key not in found:
            return f"{key[0]} {key[1]} is missing"
        if key not in expected:
            return f"{key[0]} {key[1]} is not one publish writes"
        if found[key] != expected[key]:
            return f"{key[0]} {key[1]} is defined differently from what publish writes"
    return None


def search_index_problem(conn):
    """None if the full-text index holds exactly the events' text (FTS5's own integrity check)."""
    try:
        conn.exec_driver_sql("INSERT INTO timeline_fts (timeline_fts, rank) VALUES ('integrity-check', 1)")
    except sa.exc.DBAPIError as error:
        return str(error.orig).splitlines()[0]
    return None


def _finish(path):
    """Checkpoint, leave WAL mode, vacuum if pages were freed: one self-contained file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode.lower() != "delete":
            raise TimelineError(f"could not take {path} out of {mode} mode")
        free, pages = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("freelist_count", "page_count"))
        if free > pages // 50:  # the file was written once, tables then indexes: little to win
            conn.execute("VACUUM")
        problem = conn.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise TimelineError(f"the published file is damaged: {problem}")
    finally:
        conn.close()
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _build_time():
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch
              else dt.datetime.now(dt.timezone.utc))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _genesis():
    from .chain import GENESIS
    return GENESIS
