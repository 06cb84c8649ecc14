"""PostgreSQL as the shared server for a team of curators, against a real server.

The backend-neutral behaviour (import, correct, retract, show, verify, bad
input…) runs on PostgreSQL through the `db` fixture in the other test files;
this file covers what only a server has: the database refusing raw edits
(TRUNCATE included), concurrent curators serialised by the log lock, moving a
log between SQLite and PostgreSQL, publishing from PostgreSQL, roles without
ownership, and a server that cannot be reached.
"""
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from timeline import database, projections, schema
from timeline.backends import postgresql as postgresql_backend
from timeline.backends.postgresql import LOG_LOCK_ID
from timeline.cli import cli as timeline_cli

from . import postgres
from .backends import PostgreSQL
from .conftest import BUNDLE_YAML, Cli, sqlite_dump, write_corpus

pytestmark = pytest.mark.skipif(postgres.missing_reason() is not None,
                                reason=postgres.missing_reason() or "PostgreSQL available")

IMMUTABLE = "events are immutable: append a correction"
APPEND_ONLY = "entities and aliases are append-only"
SOURCE_CITED = "sources are immutable: add a new source instead"


def libpq(url):
    """A psycopg connection string for a SQLAlchemy URL."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connect_raw(url, **options):
    import psycopg
    return psycopg.connect(libpq(url), **options)


def timeline_command():
    script = Path(sys.executable).with_name("timeline")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from timeline.cli import cli; cli()"]


def run_timeline(*args, timeout=120):
    return subprocess.run([*timeline_command(), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def head(url):
    engine = database.connect(url)
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar(), \
            conn.execute(sa.select(schema.events.c.hash).order_by(schema.events.c.seq.desc()).limit(1)).scalar()


def log_rows(url):
    """Every row of the log tables, every column (ids and recording times included)."""
    engine = database.connect(url)
    with engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(
                    sa.select(table).order_by(*(table.primary_key.columns)))]
                for table in schema.LOG_TABLES}


def projection_rows(url):
    engine = database.connect(url)
    with engine.connect() as conn:
        return {table.name: projections.stored(conn, table)
                for table in schema.PROJECTIONS}


@pytest.fixture
def pg():
    """URL of a fresh, empty PostgreSQL database (not initialised)."""
    backend = PostgreSQL()
    url = backend.fresh_database()
    yield url
    backend.drop(url)


@pytest.fixture
def pg_loaded(pg, corpus):
    cli = Cli(pg)
    cli.ok("init")
    cli.ok("import", corpus)
    return cli


@pytest.fixture(scope="module")
def shared_loaded(tmp_path_factory):
    """One loaded database for the tests that only try (and fail) to change it."""
    backend = PostgreSQL()
    url = backend.fresh_database()
    cli = Cli(url)
    cli.ok("init")
    cli.ok("import", write_corpus(tmp_path_factory.mktemp("events")))
    yield cli
    backend.drop(url)


def a_rich_log(cli, tmp_path):
    """A new database: the test corpus plus a correction, a retraction, an inline source and a new entity."""
    cli.ok("init")
    cli.ok("import", write_corpus(tmp_path / "events"))
    cli.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=155.7 million USD", "--reason", "typo", "--summary", "Acme reported Q2 2025 revenue of US$155.7 million.")
    cli.ok("retract", "acme/2025-04/headquarters", "--reason", "not in the source")
    cli.ok("entity", "add", "umbrella", "--name", "Umbrella Corp.", "--type", "company", "--alias", "Umbrella",
           "--alias", "アンブレラ")
    cli.ok("add", "--entity", "umbrella", "--counterparty", "acme", "--kind", "partnership", "--date", "July 2025",
           "--summary", "Umbrella and Acme agreed to work together.", "--quote", "Umbrella partners with Acme.",
           "--source-title", "Umbrella news", "--source-url", "https://example.com/umbrella",
           "--published-on", "2025-07-15")
    return cli


# ---- the database refuses raw edits ----

@pytest.mark.parametrize("statement, message", [
    ("UPDATE events SET summary = 'edited' WHERE seq = 1", IMMUTABLE),
    ("UPDATE events SET attributes = '{}'", IMMUTABLE),
    ("DELETE FROM events WHERE seq = 1", IMMUTABLE),
    ("DELETE FROM events", IMMUTABLE),
    ("TRUNCATE events", IMMUTABLE),
    ("TRUNCATE events, event_status, entity_state, metric_history, relationships", IMMUTABLE),
    ("TRUNCATE sources CASCADE", IMMUTABLE),
    ("TRUNCATE entities CASCADE", f"{APPEND_ONLY}|{IMMUTABLE}"),
    ("TRUNCATE entity_aliases", APPEND_ONLY),
    ("UPDATE sources SET title = 'x'", SOURCE_CITED),
    ("DELETE FROM sources", SOURCE_CITED),
    ("UPDATE entities SET name = 'x'", APPEND_ONLY),
    ("DELETE FROM entities WHERE key = 'initech'", APPEND_ONLY),
    ("DELETE FROM entity_aliases", APPEND_ONLY),
])
def test_raw_sql_cannot_change_the_log(shared_loaded, statement, message):
    import psycopg
    before = head(shared_loaded.db)
    with connect_raw(shared_loaded.db) as connection:
        with pytest.raises(psycopg.errors.RestrictViolation, match=message):
            connection.execute(statement)
    assert head(shared_loaded.db) == before == (4, before[1])


def test_truncate_without_cascade_is_stopped_by_the_foreign_keys(shared_loaded):
    import psycopg
    for table in ("sources", "entities"):
        with connect_raw(shared_loaded.db) as connection:
            with pytest.raises(psycopg.errors.FeatureNotSupported, match="referenced in a foreign key"):
                connection.execute(f"TRUNCATE {table}")


def test_an_uncited_source_is_immutable_too(pg_loaded):
    import psycopg
    pg_loaded.ok("source", "add", "draft-doc", "--title", "A draft", "--published-on", "2025-01-02")
    with pytest.raises(psycopg.errors.RestrictViolation, match=SOURCE_CITED):
        with connect_raw(pg_loaded.db) as connection:
            connection.execute("UPDATE sources SET title = 'A fixed title' WHERE key = 'draft-doc'")
    assert "A fixed title" not in pg_loaded.ok("sources")


def test_a_trigger_error_reaches_the_user_as_one_line(pg_loaded, monkeypatch):
    """PostgreSQL adds a CONTEXT line to the trigger's message; the CLI keeps the first."""
    original = projections.apply

    def apply_then_edit(conn, events, *args, **kwargs):
        original(conn, events, *args, **kwargs)
        conn.execute(sa.text("UPDATE events SET summary = 'edited' WHERE seq = 1"))

    monkeypatch.setattr(projections, "apply", apply_then_edit)
    before = head(pg_loaded.db)
    result = pg_loaded("add", "--entity", "acme", "--kind", "note", "--date", "2025-07-01", "--summary", "x",
                       "--quote", "x", "--source", "acme-q2-2025")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert IMMUTABLE in result.stderr and "Traceback" not in result.output
    assert head(pg_loaded.db) == before


@pytest.mark.parametrize("args, message", [
    (["source", "add", "s1", "--title", "T", "--published-on", "2025-01-01", "--language", "English (United Kingdom)"],
     "Error: source (s1): language 'English (United Kingdom)' is 24 characters long; at most 16 are allowed\n"),
    (["source", "add", "s" * 201, "--title", "T", "--published-on", "2025-01-01"],
     f"Error: source ({'s' * 201}): key '{'s' * 57}...' is 201 characters long; at most 200 are allowed\n"),
    (["add", "--entity", "acme", "--kind", "launch", "--date", "2025", "--summary", "x", "--quote", "x",
      "--source", "acme-q2-2025", "--attr", "product=" + "p" * 300],
     f"Error: event 1 (acme/2025/launch): state key 'launch:{'p' * 50}...' is 307 characters long; "
     "at most 300 are allowed\n"),
])
def test_what_postgresql_cannot_store_sqlite_refuses_too(loaded, args, message):
    """VARCHAR(n) widths hold on both backends, so every SQLite log can be copied to PostgreSQL."""
    before = loaded.ok("export")
    result = loaded(*args)
    assert (result.exit_code, result.stderr) == (1, message)
    assert loaded.ok("export") == before


# ---- concurrent curators ----

WORKER = r"""
import sys
from timeline import Timeline
url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
timeline = Timeline.open(url)
for i in range(count):
    event_id = timeline.add("acme", "launch", "2025-07-01", f"{name} launch {i}", f"We launched {name}-{i}.",
                            "acme-q2-2025", id=f"acme/{name}/{i}", attributes={"product": f"{name}-{i}"})
    if i % 3 == 2:
        timeline.correct(event_id, "typo", summary=f"{name} launch {i}, corrected")
"""

IMPORT_BUNDLE = """\
source:
  key: globex-news
  title: Globex news
  published_on: "2025-08-01"
events:
""" + "".join(f"""\
- id: globex/import/{i}
  entity: globex
  kind: note
  date: July 2025
  summary: Globex note {i}.
  quote: Globex says {i}.
""" for i in range(6))


def watch_the_log(url, stop, problems):
    """While writers run: every snapshot of the log is 1..n with each row chained to the one before."""
    import psycopg
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        while not stop.is_set():
            rows = connection.execute("SELECT seq, prev_hash, hash FROM events ORDER BY seq").fetchall()
            seqs = [row[0] for row in rows]
            if seqs != list(range(1, len(rows) + 1)):
                problems.append(f"a reader saw seqs {seqs}")
            for before, after in zip(rows, rows[1:]):
                if after[1] != before[2]:
                    problems.append(f"seq {after[0]} does not chain to seq {before[0]}")
            # projections commit with their events: one snapshot sees both or neither
            events, statuses = connection.execute(
                "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_status)").fetchone()
            if events != statuses:
                problems.append(f"{events} events but {statuses} event_status rows")
            time.sleep(0.01)


@pytest.mark.parametrize("isolation", ["read committed", "serializable"])
def test_concurrent_writers_serialise_and_the_chain_never_forks(pg_loaded, tmp_path, isolation):
    """Library workers, `timeline add` and `timeline import` append to one log at once.

    With the server's default isolation set to SERIALIZABLE as well: the store
    pins READ COMMITTED for its writes, which the log lock needs.
    """
    url = pg_loaded.db
    name = sa.engine.make_url(url).database
    postgres.cluster().execute(f"ALTER DATABASE \"{name}\" SET default_transaction_isolation = '{isolation}'")
    bundle = tmp_path / "globex.yml"
    bundle.write_text(IMPORT_BUNDLE, encoding="utf-8")

    workers, per_worker = 3, 6
    commands = [[sys.executable, "-c", WORKER, url, f"w{n}", str(per_worker)] for n in range(workers)]
    commands += [[*timeline_command(), "--db", url, "add", "--id", f"globex/cli/{n}", "--entity", "GBX",
                  "--kind", "note", "--date", "August 2025", "--summary", f"CLI note {n}.",
                  "--quote", f"Note {n}.", "--source", "acme-q2-2025"] for n in range(3)]
    commands += [[*timeline_command(), "--db", url, "import", str(bundle)]]

    stop, problems = threading.Event(), []
    watcher = threading.Thread(target=watch_the_log, args=(url, stop, problems))
    watcher.start()
    try:
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for command in commands]
        outcomes = [(process.args, *process.communicate(timeout=300), process.returncode) for process in processes]
    finally:
        stop.set()
        watcher.join()
    failed = [outcome for outcome in outcomes if outcome[3] != 0]
    assert not failed, failed
    assert not problems, problems[:5]

    corrections = per_worker // 3
    expected = 4 + workers * (per_worker + corrections) + 3 + 6
    engine = database.connect(url)
    with engine.connect() as conn:
        ids = conn.execute(sa.select(schema.events.c.id)).scalars().all()
    assert len(ids) == len(set(ids)) == expected
    assert {f"acme/w{n}/{i}" for n in range(workers) for i in range(per_worker)} <= set(ids)
    assert {f"acme/w{n}/{i}/v2" for n in range(workers) for i in range(2, per_worker, 3)} <= set(ids)
    assert {f"globex/cli/{n}" for n in range(3)} | {f"globex/import/{i}" for i in range(6)} <= set(ids)

    verified = run_timeline("--db", url, "verify")  # the chain, and projections equal to a replay
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"ok: {expected} events")


def test_curators_running_init_at_once_take_turns(pg, corpus):
    processes = [subprocess.Popen([*timeline_command(), "--db", pg, "init"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [(*process.communicate(timeout=120), process.returncode) for process in processes]
    assert all(code == 0 for _, _, code in outcomes), outcomes
    Cli(pg).ok("import", corpus)
    assert Cli(pg).ok("verify").startswith("ok: 4 events")


def test_a_writer_waits_for_the_log_lock(pg_loaded):
    """Holding the advisory lock elsewhere makes `timeline add` wait on it, then finish."""
    with connect_raw(pg_loaded.db) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK_ID,))
        adding = subprocess.Popen([*timeline_command(), "--db", pg_loaded.db, "add", "--entity", "acme",
                                   "--kind", "note", "--date", "2025-07-01", "--summary", "Waited.",
                                   "--quote", "Waited.", "--source", "acme-q2-2025", "--id", "acme/waited"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        waiting = 0
        while not waiting and time.monotonic() < deadline and adding.poll() is None:
            waiting = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND objid::text::bigint = %s AND pid <> pg_backend_pid()", (LOG_LOCK_ID,)).fetchone()[0]
            time.sleep(0.05)
        assert waiting == 1, "timeline add did not wait on the log lock"
        assert adding.poll() is None
        holder.rollback()
    stdout, stderr = adding.communicate(timeout=120)
    assert adding.returncode == 0, stderr
    assert stdout.strip() == "acme/waited"


def test_a_lock_held_too_long_is_a_one_line_error(pg_loaded, monkeypatch):
    monkeypatch.setattr(postgresql_backend.PostgreSQL, "busy_timeout_seconds", 1)
    before = head(pg_loaded.db)
    with connect_raw(pg_loaded.db) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK_ID,))
        result = pg_loaded("add", "--entity", "acme", "--kind", "note", "--date", "2025-07-01",
                           "--summary", "x", "--quote", "x", "--source", "acme-q2-2025")
        holder.rollback()
    assert result.exit_code == 1
    assert result.stderr == "Error: another writer has held the log for over 1 s; nothing was written, try again\n"
    assert head(pg_loaded.db) == before


# ---- copying between backends ----

def test_copy_sqlite_to_postgresql_and_back(tmp_path, pg):
    a_rich_log(Cli(tmp_path / "first.db"), tmp_path)
    copied = Cli(tmp_path / "unused.db").ok("copy", "--from", tmp_path / "first.db", "--to", pg)  # pg: not even initialised
    assert copied.startswith("copied 5 entities, 4 entity_aliases, 2 sources, 7 events; ok: 7 events, chain head ")
    back = tmp_path / "back.db"
    Cli(pg).ok("copy", "--to", back)

    first, there, again = str(tmp_path / "first.db"), pg, str(back)
    assert Cli(first).ok("verify") == Cli(there).ok("verify") == Cli(again).ok("verify")
    assert Cli(first).ok("export") == Cli(there).ok("export") == Cli(again).ok("export")
    assert log_rows(first) == log_rows(there) == log_rows(again)  # seq, ids, recorded_at, hashes
    assert projection_rows(first) == projection_rows(there) == projection_rows(again)


def test_every_read_command_says_the_same_on_both_backends(tmp_path, pg):
    """The same log (copied, so even recorded_at agrees) reads the same from SQLite and PostgreSQL."""
    sqlite_cli = a_rich_log(Cli(tmp_path / "log.db"), tmp_path)
    sqlite_cli.ok("copy", "--to", pg)
    pg_cli = Cli(pg)
    for command in (["show", "acme"], ["show", "acme", "--json"], ["show", "ACME", "--as-of", "2025-05-01"],
                    ["show", "acme", "--known-at", "2025-09-08", "--json"], ["log"], ["log", "--json"],
                    ["log", "acme", "--kind", "financial_result"], ["history", "acme", "revenue", "--json"],
                    ["entities"], ["entities", "--json"], ["sources", "--json"], ["export", "--format", "csv"],
                    ["export"], ["verify"]):
        assert pg_cli.ok(*command) == sqlite_cli.ok(*command), command


def test_after_a_copy_the_postgresql_log_takes_new_writes(tmp_path, pg):
    a_rich_log(Cli(tmp_path / "log.db"), tmp_path).ok("copy", "--to", pg)
    pg_cli = Cli(pg)
    pg_cli.ok("source", "add", "later", "--title", "Later", "--published-on", "2025-10-01")
    pg_cli.ok("add", "--entity", "acme", "--kind", "note", "--date", "October 2025", "--summary", "Later.",
              "--quote", "Later.", "--source", "later")
    assert pg_cli.ok("verify").startswith("ok: 8 events")
    with connect_raw(pg) as connection:  # the id sequences were moved past the copied ids
        connection.execute("INSERT INTO sources (key, title, published_on, published_from, published_to, "
                           "published_precision, recorded_at) VALUES ('by-hand', 'By hand', '2025-10-02', "
                           "'2025-10-02', '2025-10-02', 'day', '2025-10-02T00:00:00Z')")
        assert connection.execute("SELECT id FROM sources WHERE key = 'by-hand'").fetchone()[0] == 4


def test_copy_refuses_a_non_empty_target(tmp_path, pg_loaded):
    sqlite_cli = a_rich_log(Cli(tmp_path / "log.db"), tmp_path)
    before = head(pg_loaded.db)
    result = sqlite_cli("copy", "--to", pg_loaded.db)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {pg_loaded.db} is not empty (")
    assert "copy only into a new or empty database" in result.stderr
    assert head(pg_loaded.db) == before


def test_copy_refuses_a_broken_source_and_leaves_the_target_empty(tmp_path, pg):
    broken = tmp_path / "broken.db"
    a_rich_log(Cli(broken), tmp_path)
    connection = sqlite3.connect(broken)
    connection.execute("DROP TRIGGER events_no_update")
    connection.execute("UPDATE events SET summary = 'tampered' WHERE seq = 2")
    connection.commit()
    connection.close()
    result = Cli(broken)("copy", "--to", pg)
    assert result.exit_code == 1
    assert result.stderr == ("Error: the source log is broken, nothing was copied: "
                             "chain broken at seq 2: the row does not match its hash\n")
    assert head(pg) == (0, None)


def test_copy_checks_what_arrived(tmp_path, pg, monkeypatch):
    """A copy that does not verify on arrival is rolled back: the target stays empty."""
    from timeline import transfer
    original = transfer._copy_table

    def lose_the_last_event(source, target, table):
        count = original(source, target, table)
        if table.name == "events":
            target.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_no_delete")
            target.exec_driver_sql("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)")
        return count

    monkeypatch.setattr(transfer, "_copy_table", lose_the_last_event)
    result = a_rich_log(Cli(tmp_path / "log.db"), tmp_path)("copy", "--to", pg)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the copy does not match its source, nothing was written: 6 events")
    assert head(pg) == (0, None)


# ---- ids and publishing agree across backends ----

FAILING_BUNDLE = """\
source:
  key: doomed
  title: A document whose import fails
  published_on: "2025-09-09"
events:
- id: acme/doomed
  entity: acme
  kind: lanch
  date: 2025
  summary: x
  quote: x
"""

LATER_BUNDLE = BUNDLE_YAML.replace("acme-q2-2025", "acme-q2-2025-repost").replace("id: acme/", "id: acme/repost/")


def build_same_log(cli, directory):
    """The same history in a new database on any backend, including an import that is rolled back."""
    cli.ok("init")
    write_corpus(directory)
    cli.ok("import", directory)
    (directory / "doomed.yml").write_text(FAILING_BUNDLE, encoding="utf-8")
    entities = directory / "more-entities.yml"
    entities.write_text("entities:\n- key: hooli\n  name: Hooli\n  type: company\n  aliases: [HOOLI Inc.]\n",
                        encoding="utf-8")
    failed = cli("import", entities, directory / "doomed.yml")  # adds an entity, alias and source, then fails
    assert failed.exit_code == 1 and "unknown kind 'lanch'" in failed.stderr
    (directory / "doomed.yml").unlink()
    later = directory / "later.yml"
    later.write_text(LATER_BUNDLE, encoding="utf-8")
    cli.ok("import", entities, later)
    return cli


def test_a_rolled_back_import_numbers_rows_as_sqlite_does(tmp_path, pg):
    """ids come from the log, not from a sequence a rolled-back transaction moved on."""
    lite = build_same_log(Cli(tmp_path / "log.db"), tmp_path / "a")
    server = build_same_log(Cli(pg), tmp_path / "b")

    def numbering(url):
        with database.connect(url).connect() as conn:
            return [conn.execute(sa.select(*columns).order_by(columns[0])).all() for columns in (
                (schema.entities.c.id, schema.entities.c.key),
                (schema.entity_aliases.c.id, schema.entity_aliases.c.entity, schema.entity_aliases.c.alias),
                (schema.sources.c.id, schema.sources.c.key),
                (schema.events.c.seq, schema.events.c.id, schema.events.c.source_id))]

    assert numbering(server.db) == numbering(lite.db)
    entities, aliases, sources, _ = numbering(server.db)
    assert entities[-1] == (5, "hooli") and aliases[-1] == (3, "hooli", "HOOLI Inc.")
    assert sources == [(1, "acme-q2-2025"), (2, "acme-q2-2025-repost")]



def test_publishing_from_postgresql_writes_the_same_file_as_from_sqlite(tmp_path, pg):
    pytest.importorskip("timeline.publish")
    from timeline import publish

    lite = build_same_log(Cli(tmp_path / "log.db"), tmp_path / "events")
    lite.ok("copy", "--to", pg)  # the same log, recording times included
    built_at = "2026-01-01T00:00:00Z"
    from_sqlite = publish.publish(database.connect(lite.db), tmp_path / "from-sqlite.db", built_at=built_at)
    from_pg = publish.publish(database.connect(pg), tmp_path / "from-postgresql.db", built_at=built_at)
    assert from_pg["head_hash"] == from_sqlite["head_hash"] == head(lite.db)[1]
    assert (from_pg["event_count"], from_pg["entity_count"], from_pg["source_count"]) == (8, 5, 2)
    assert sqlite_dump(tmp_path / "from-postgresql.db") == sqlite_dump(tmp_path / "from-sqlite.db")  # every row, every table
    assert Cli(tmp_path / "unused.db").ok("verify", tmp_path / "from-postgresql.db").startswith("ok: 8 events")


def test_publish_command_reads_postgresql(tmp_path, pg_loaded):
    if "publish" not in timeline_cli.commands:
        pytest.skip("timeline publish is not written yet")
    out = tmp_path / "out.db"
    pg_loaded.ok("publish", out)
    assert Cli(tmp_path / "unused.db").ok("verify", out) == pg_loaded.ok("verify")


# ---- roles: curators who do not own the tables ----

def test_curators_without_ownership_can_do_everything_but_edit(tmp_path, corpus):
    """The role setup of docs/postgres.md: an owner runs init, curators get INSERT on the log."""
    cluster = postgres.cluster()
    tag = os.urandom(4).hex()
    owner, curators, alice, name = f"owner_{tag}", f"curators_{tag}", f"alice_{tag}", f"team_{tag}"
    stranger = f"stranger_{tag}"
    cluster.execute(f"CREATE ROLE {owner} LOGIN", f"CREATE ROLE {curators} NOLOGIN",
                    f"CREATE ROLE {alice} LOGIN IN ROLE {curators}", f"CREATE ROLE {stranger} LOGIN",
                    f"CREATE DATABASE {name} OWNER {owner}")
    try:
        Cli(cluster.url(name, user=owner)).ok("init")
        with connect_raw(cluster.url(name, user=owner), autocommit=True) as connection:
            for statement in CURATOR_GRANTS.format(curators=curators).split(";"):
                if statement.strip():
                    connection.execute(statement)
        as_alice = Cli(cluster.url(name, user=alice))
        as_alice.ok("import", corpus)
        as_alice.ok("entity", "add", "umbrella", "--name", "Umbrella", "--type", "company")
        as_alice.ok("source", "add", "umbrella-news", "--title", "News", "--published-on", "2025-07-15")
        as_alice.ok("add", "--entity", "umbrella", "--kind", "note", "--date", "July 2025", "--summary", "x",
                    "--quote", "x", "--source", "umbrella-news")
        as_alice.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=155.7 million USD", "--reason", "typo", "--summary", "Acme reported Q2 2025 revenue of US$155.7 million.")
        as_alice.ok("retract", "acme/2025-04/headquarters", "--reason", "wrong")
        as_alice.ok("rebuild")
        assert as_alice.ok("verify").startswith("ok: 7 events")
        as_alice.ok("export")
        as_alice.ok("copy", "--to", tmp_path / "mine.db")
        import psycopg
        with connect_raw(cluster.url(name, user=alice), autocommit=True) as connection:
            for statement in ("UPDATE events SET summary = 'x'", "DELETE FROM events", "TRUNCATE events",
                              "ALTER TABLE events DISABLE TRIGGER ALL", "DROP TRIGGER events_no_update ON events",
                              "CREATE TABLE mine (x int)"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(statement)
        refused = Cli(cluster.url(name, user=stranger))("show", "acme")
        assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
        assert "permission denied for table alembic_version (the database owner grants curators access" \
            in refused.stderr
    finally:
        cluster.drop_database(name)
        cluster.execute(*(f"DROP ROLE {role}" for role in (alice, stranger, curators, owner)))


def _curator_grants():
    """The grants docs/postgres.md tells the owner to run, for role {curators}: the test runs the doc."""
    from .conftest import ROOT
    doc = (ROOT / "docs" / "postgres.md").read_text(encoding="utf-8")
    section = doc[doc.index("## 3. Let the curators in"):]
    sql = section[section.index("```sql") + len("```sql"):section.index("```", section.index("```sql") + 6)]
    return sql.replace("TO curators;", "TO {curators};")


CURATOR_GRANTS = _curator_grants()


# ---- a server that cannot be reached ----

def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("args", [
    ["show", "acme"], ["init"], ["import", "{tmp}/events"], ["log"], ["verify"], ["verify", "{url}"],
    ["export"], ["rebuild"], ["sources"], ["history", "acme", "revenue"],
    ["add", "--entity", "acme", "--kind", "note", "--date", "2025", "--summary", "x", "--quote", "x"],
    ["correct", "acme/x", "--summary", "y", "--reason", "z"], ["retract", "acme/x", "--reason", "z"],
    ["copy", "--to", "{tmp}/elsewhere.db"], ["copy", "--from", "{tmp}/here.db", "--to", "{url}"],
    ["publish", "{tmp}/out.db"],
], ids=lambda args: " ".join(args).replace("{tmp}/", "").replace("{url}", "URL"))
def test_an_unreachable_server_is_a_one_line_error(tmp_path, args):
    write_corpus(tmp_path / "events")
    Cli(tmp_path / "here.db").ok("init")
    url = f"postgresql+psycopg://curator:s3cret@127.0.0.1:{closed_port()}/timeline"
    args = [arg.replace("{tmp}", str(tmp_path)).replace("{url}", url) for arg in args]
    result = CliRunner().invoke(timeline_cli, ["--db", url, *args], catch_exceptions=False)
    if result.exit_code == 2 and "No such command" in result.stderr:
        pytest.skip(f"`timeline {args[0]}` is not written yet")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    shown = url.replace("s3cret", "***")
    assert result.stderr.startswith(f"Error: cannot connect to {shown}: "), result.stderr
    assert "Connection refused" in result.stderr and "s3cret" not in result.stderr


def test_an_unreachable_server_as_the_user_sees_it():
    url = f"postgresql://curator:s3cret@127.0.0.1:{closed_port()}/timeline"
    result = run_timeline("--db", url, "show", "acme")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: cannot connect to postgresql+psycopg://curator:***@127.0.0.1:")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_missing_database_or_role_is_a_one_line_error(pg):
    url = sa.engine.make_url(pg)
    for wrong in (url.set(database="no_such_database"), url.set(username="no_such_role")):
        result = Cli(wrong.render_as_string(hide_password=False))("show", "acme")
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert result.stderr.startswith("Error: cannot connect to ")
        assert "does not exist" in result.stderr
