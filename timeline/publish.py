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

The file is built next to OUT under a temporary name, verified, taken out of
WAL mode (journal_mode=DELETE), vacuumed and renamed into place with
os.replace, so a reader sees the old file or the new one, never half of one.
Given the same log the rows are the same whichever backend held it: rows are
copied in primary-key order compared as Python values (code point order,
which is SQLite's BINARY order), never in the source database's collation.
Only `publication.built_at` differs between two builds; set
SOURCE_DATE_EPOCH to pin it for a byte-reproducible file.
"""
import datetime as dt
import functools
import json
import os
import sqlite3
import tempfile
from pathlib import Path

import sqlalchemy as sa

from . import __version__, chain, database, display, rules, schema, signing, vocabulary
from .backends import backend_for
from .errors import TimelineError
from .loading import head, load_events
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


def publish(engine, out_path, built_at=None, verify_output=True, force=False, sign=None):
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
        summary = _build(engine, tmp, built_at, verify_output, sign)
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

def _build(engine, tmp, built_at, verify_output, sign=None):
    out_engine = database.connect(str(tmp), must_exist=False)
    database.upgrade(out_engine)  # the live schema: tables, indexes, triggers, the timeline view
    # one snapshot for every table, so the projections match the events copied
    with backend_for(engine).read_snapshot(engine) as src, out_engine.connect() as dst:
        with dst.begin():
            revision = database.current_revision(src)
            counts = {table.name: _copy(src, dst, table) for table in COPIED_TABLES}
            dst.exec_driver_sql("DROP TABLE alembic_version")
            _write_helpers(dst)
            for statement in EXTRA_SQL:
                dst.exec_driver_sql(statement)
            head = dst.execute(sa.select(schema.events.c.hash).order_by(schema.events.c.seq.desc()).limit(1)).scalar()
            summary = {
                "head_hash": head or _genesis(),
                "event_count": counts["events"],
                "entity_count": counts["entities"],
                "source_count": counts["sources"],
                **registry_heads(dst),
                "built_at": built_at,
                "schema_revision": revision,
                "timeline_version": __version__,
            }
            summary["signed_message"] = signing.message(summary)
            summary["signature"] = signing.sign(summary["signed_message"], sign) if sign else None
            columns = ", ".join(summary)
            dst.execute(sa.text(f"INSERT INTO publication (id, {columns}) "
                                f"VALUES (1, {', '.join(':' + c for c in summary)})"), summary)
            dst.exec_driver_sql("ANALYZE")
    out_engine.dispose()
    if verify_output:
        _verify(tmp)
    return summary


def registry_heads(conn):
    """{'<table>_head': hash of its last row} for the registry's chains (chain.REGISTRY_TABLES)."""
    heads = {}
    for name in chain.REGISTRY_TABLES:
        table = schema.metadata.tables[name]
        found = conn.execute(sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()
        heads[f"{name}_head"] = found or _genesis()
    return heads


def _copy(src, dst, table):
    """Copy every row of `table`, in primary-key order compared in Python."""
    pk = [c.name for c in table.primary_key.columns]
    rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
    rows.sort(key=lambda r: tuple(r[name] for name in pk))
    for start in range(0, len(rows), CHUNK):
        dst.execute(table.insert(), rows[start:start + CHUNK])
    return len(rows)


def reader_tables(conn):
    """{table name: rows} of the tables publish adds for readers, computed from the log in `conn`.

    - event_periods: each event's period as people write it ("Q2 2025");
    - state_values: the state value every event sets, standing or not, with
      `rank`, its place in rules.rank order (the state queries take the
      highest rank among the rows standing at their date);
    - entity_names: every key, name and alias folded as registry.fold folds
      them (the queries find an entity by `fold_name(:entity)`).
    """
    events = load_events(conn)
    vocab = vocabulary.for_connection(conn)
    status = dict(conn.execute(sa.select(schema.event_status.c.event_id, schema.event_status.c.status)).all())
    order = {event["seq"]: place for place, event in enumerate(sorted(events, key=rules.rank), 1)}
    periods, values = [], []
    for event in events:
        period = display.period(event["valid_from"], event["valid_to"], event["precision"])
        periods.append({"seq": event["seq"], "period": period})
        key = rules.state_key_of(event, vocab)
        if key is None:
            continue
        row = rules.state_row(event, key, vocab)
        value = json.loads(row["value"])
        values.append({
            **row, "display": display.value(value, vocab),
            "qualifier": value.get("qualifier") if isinstance(value, dict) else None,
            "period": period, "status": status.get(event["id"], "current"), "rank": order[event["seq"]],
        })
    names = set()
    for key, name in conn.execute(sa.select(schema.entities.c.key, schema.entities.c.name)):
        names.update({(fold(key), key), (fold(name), key)})
    for entity, alias in conn.execute(sa.select(schema.entity_aliases.c.entity, schema.entity_aliases.c.alias)):
        names.add((fold(alias), entity))
    return {
        "event_periods": periods,
        "state_values": values,
        "entity_names": [{"name": name, "entity": entity} for name, entity in sorted(names)],
    }


def _write_helpers(dst):
    for statement in HELPER_TABLES_SQL:
        dst.exec_driver_sql(statement)
    for table, rows in reader_tables(dst).items():
        if rows:
            columns = list(rows[0])
            dst.execute(sa.text(f"INSERT INTO {table} ({', '.join(columns)}) "
                                f"VALUES ({', '.join(':' + c for c in columns)})"), rows)


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


def _verify(path):
    from . import verify

    engine = database.connect(str(path))
    with engine.connect() as conn:
        verdict = verify.verify(conn)
    if not verdict.ok:
        raise TimelineError(f"the published file failed verification: {verdict.message()}")


def _finish(path):
    """Checkpoint, leave WAL mode, vacuum: one self-contained file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if mode.lower() != "delete":
            raise TimelineError(f"could not take {path} out of {mode} mode")
        conn.execute("VACUUM")
        problem = conn.execute("PRAGMA integrity_check").fetchone()[0]
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
