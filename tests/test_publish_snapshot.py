"""Publish from a VACUUM INTO snapshot (SQLite) or streamed (PostgreSQL): the file's content is the log's.

The published file of the corpus (events/) and of a synthetic log of a few
thousand events, corrections and retractions among them, must verify; its
content (every table's rows, the FTS index's own tables included, and the
schema) must be what publishing the same log again gives, whichever backend
held the log and whatever order its history wrote the rows in.  The tables
copied from the log must hold the log's rows, and the reader tables the rows
their rules give (publish.reader_tables, worked out from the file apart from
the build).
"""
import sqlite3

import pytest
from click.testing import CliRunner

from bench import synth
from timeline import publish
from timeline.cli import cli as timeline_cli

from .conftest import ROOT, sqlite_dump

EVENTS = ROOT / "events"
EPOCH = "1767225600"  # built_at pinned: two builds of one log are then the same file, row for row


def ok(db, *args):
    result = CliRunner().invoke(timeline_cli, ["--db", str(db), *map(str, args)])
    assert result.exit_code == 0, f"timeline {' '.join(map(str, args))}:\n{result.output}"
    return result.stdout



def rows(path, table, order):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    finally:
        conn.close()


def live_tables(path):
    conn = sqlite3.connect(path)
    try:
        return [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'")]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """{name: live SQLite log}: the corpus, and a synthetic log whose entities were not added in key order."""
    directory = tmp_path_factory.mktemp("logs")
    corpus = directory / "corpus.db"
    ok(corpus, "init")
    ok(corpus, "import", EVENTS)
    synthetic = directory / "synthetic.db"
    ok(synthetic, "init")
    ok(synthetic, "import", synth.write_jsonl(directory / "synth.jsonl", 3000, entities=60, seed=9))
    # rows a later curator adds land after the bulk in a SQLite file, out of key order
    ok(synthetic, "entity", "add", "aaa-first-by-key", "--name", "Aaa Holdings", "--type", "company",
       "--alias", "AAA")
    ok(synthetic, "entity", "add", "co-0005", "--alias", "Five")
    ok(synthetic, "source", "add", "aaa-filing", "--title", "A filing", "--url", "https://example.com/aaa",
       "--published-on", "2025-11-30", "--type", "filing", "--publisher", "Newswire")
    conn = sqlite3.connect(synthetic)
    first, second = [event_id for (event_id,) in conn.execute(
        "SELECT e.id FROM events e JOIN event_status s ON s.seq = e.seq WHERE s.status = 'current' "
        "AND e.kind = 'financial_result' AND e.supersedes IS NULL AND e.retracts IS NULL "
        "AND e.entity NOT IN ('co-0000', 'co-0001') ORDER BY e.seq LIMIT 2")]
    conn.close()
    ok(synthetic, "correct", first, "--attr", "value=2 million USD", "--summary", "Restated.",
       "--quote", "The figure was restated.", "--reason", "restated", "--source", "aaa-filing")
    ok(synthetic, "retract", second, "--reason", "withdrawn", "--source", "aaa-filing")
    ok(synthetic, "add", "--entity", "aaa-first-by-key", "--kind", "headquarters", "--date", "2025-11",
       "--attr", "location=Oslo", "--summary", "Aaa moved to Oslo.", "--quote", "Aaa moved to Oslo.",
       "--source", "aaa-filing")
    return {"corpus": corpus, "synthetic": synthetic}


@pytest.mark.parametrize("name", ["corpus", "synthetic"])
def test_published_twice_the_same_file_and_it_verifies(logs, name, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    live = logs[name]
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    ok(live, "publish", first)
    ok(live, "publish", second)
    assert sqlite_dump(first) == sqlite_dump(second)
    assert ok(live, "verify", first).startswith("ok: ")
    # republished over itself: the same file again
    ok(live, "publish", first)
    assert sqlite_dump(first) == sqlite_dump(second)


@pytest.mark.parametrize("name", ["corpus", "synthetic"])
def test_the_copied_tables_are_the_logs_and_the_reader_tables_their_rules(logs, name, tmp_path):
    live = logs[name]
    out = tmp_path / "site.db"
    ok(live, "publish", out)
    for table in live_tables(live):  # (tables keyed by text are in key order there, in history's here)
        assert sorted(rows(out, table, "rowid"), key=repr) == sorted(rows(live, table, "rowid"), key=repr), table
    # the reader tables, worked out again from the published file by the rules' own code, row for row
    engine = publish.database.connect(str(out))
    try:
        with engine.connect() as conn:
            expected = publish.reader_tables(conn)
    finally:
        engine.dispose()
    conn = sqlite3.connect(out)
    conn.row_factory = sqlite3.Row
    try:
        for table, order in publish.STORED_ORDER.items():
            found = [dict(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}")]
            assert found == expected[table], table
            assert found, table
    finally:
        conn.close()


def test_verify_checks_what_it_should(logs, tmp_path):
    """The check publish and verify make reads the whole file: a published file with a row changed behind
    the triggers' back fails."""
    live = logs["synthetic"]
    out = tmp_path / "site.db"
    ok(live, "publish", out)
    conn = sqlite3.connect(out)
    triggers = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for name in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE events SET summary = summary || '!' WHERE seq = 1500")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(timeline_cli, ["--db", str(live), "verify", str(out)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")


@pytest.mark.parametrize("name", ["corpus", "synthetic"])
def test_the_same_file_from_every_backend(logs, name, db, tmp_path, monkeypatch):
    """`db` is a fresh database on each backend (conftest): the log copied there and published from there
    gives the file published from the SQLite log (PostgreSQL streams the tables; a SQLite copy holds its
    rows in another order than the log's history wrote them)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    live = logs[name]
    ok(live, "copy", "--to", db)
    from_live, from_copy = tmp_path / "from-live.db", tmp_path / "from-copy.db"
    ok(live, "publish", from_live)
    ok(db, "publish", from_copy)
    assert sqlite_dump(from_copy) == sqlite_dump(from_live)
    assert publish.read_publication(from_copy) == publish.read_publication(from_live)
