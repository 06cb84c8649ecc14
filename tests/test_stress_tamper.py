"""Tamper evidence: `timeline verify FILE` on a doctored copy of the live
database and of the published file a reader downloads.

Each test takes a fresh copy of one of them, drops its immutability triggers
through plain sqlite3 (what anyone holding the file can do), changes it, and
expects `timeline verify COPY` to fail with one `Error:` line naming what broke:

- every column of an event row (enumerated from the schema, so a new column
  is covered without editing this file): the seq of the row;
- a deleted row, two rows swapped, a cited source edited: the seq;
- the log cut short (with or without the publication record "fixed" to
  match), the publication record edited or deleted, a projection edited;
- the file itself cut in half: an error, not a traceback.
"""
import shutil
import sqlite3

import pytest

from timeline import schema

from .conftest import Cli, write_corpus



@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """The live log of the test corpus plus a correction and a retraction (6 events), and its publication."""
    directory = tmp_path_factory.mktemp("published")
    live = Cli(directory / "live.db")
    live.ok("init")
    live.ok("import", write_corpus(directory / "events"))
    live.ok("correct", "acme/2025-06-30/cash", "--attr", "cash=99.3 million USD", "--reason", "restated", "--summary", "Acme held US$99.3 million in cash at the end of June 2025.")
    live.ok("retract", "acme/2025-04/headquarters", "--reason", "never moved")
    out = directory / "timeline.db"
    live.ok("publish", out)
    assert Cli(out).ok("verify", out).startswith("ok: 6 events")
    return {"live": directory / "live.db", "published": out}


@pytest.fixture
def published(originals):
    return originals["published"]


DROPPED_TRIGGERS = {}  # path -> the CREATE TRIGGER statements doctorable dropped


def doctorable(original, tmp_path):
    """(path, sqlite3 connection) of a copy of `original`, triggers dropped (verify_fails puts them back,
    as a careful forger would: a missing trigger is itself caught, see test_a_dropped_trigger_is_caught)."""
    path = tmp_path / "downloaded.db"
    shutil.copy(original, path)
    connection = sqlite3.connect(path)
    triggers = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        connection.execute(f'DROP TRIGGER "{name}"')
    DROPPED_TRIGGERS[path] = [sql for _, sql in triggers]
    connection.execute("PRAGMA foreign_keys = OFF")
    return path, connection


def restore_triggers(path):
    connection = sqlite3.connect(path)
    for sql in DROPPED_TRIGGERS.pop(path, []):
        connection.execute(sql)
    connection.commit()
    connection.close()


@pytest.fixture(params=["live", "published"])
def copy(originals, tmp_path, request):
    """A doctorable copy of the live database, then of the published file."""
    path, connection = doctorable(originals[request.param], tmp_path)
    yield path, connection
    connection.close()


@pytest.fixture
def published_copy(originals, tmp_path):
    """A doctorable copy of the published file, for what only it carries."""
    path, connection = doctorable(originals["published"], tmp_path)
    yield path, connection
    connection.close()


def verify_fails(path, expected, *options):
    restore_triggers(path)
    result = Cli(path)("verify", path, *options)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0], lines[0]


def _changed(column):
    """SQL for a different value of `column`, whatever its type and current value."""
    if isinstance(column.type, schema.sa.Integer):
        return f"{column.name} + 100"
    return f"CASE WHEN {column.name} IS NULL THEN 'x' ELSE {column.name} || 'x' END"


EDITABLE = [c for c in schema.events.c if c.name != "seq"]


@pytest.mark.parametrize("column", EDITABLE, ids=[c.name for c in EDITABLE])
def test_changing_any_column_of_an_event_is_caught_naming_its_seq(copy, column):
    path, connection = copy
    connection.execute(f"UPDATE events SET {column.name} = {_changed(column)} WHERE seq = 2")
    connection.commit()
    verify_fails(path, "seq 2")


def test_attributes_rewritten_as_equal_but_not_canonical_json_are_caught(copy):
    path, connection = copy
    text = connection.execute("SELECT attributes FROM events WHERE seq = 3").fetchone()[0]
    connection.execute("UPDATE events SET attributes = ? WHERE seq = 3", (text.replace(":", ": "),))
    connection.commit()
    verify_fails(path, "seq 3")


def test_changing_seq_is_caught(copy):
    path, connection = copy
    connection.execute("UPDATE events SET seq = 60 WHERE seq = 4")
    connection.commit()
    verify_fails(path, "seq 4")


def test_deleting_an_event_is_caught(copy):
    path, connection = copy
    connection.execute("DELETE FROM events WHERE seq = 2")
    connection.commit()
    verify_fails(path, "seq 2")


def test_reordering_events_is_caught(copy):
    path, connection = copy
    connection.execute("UPDATE events SET seq = -2 WHERE seq = 2")
    connection.execute("UPDATE events SET seq = 2 WHERE seq = 3")
    connection.execute("UPDATE events SET seq = 3 WHERE seq = -2")
    connection.commit()
    verify_fails(path, "seq 2")


def test_truncating_the_live_log_is_caught_by_the_projections(originals, tmp_path):
    path, connection = doctorable(originals["live"], tmp_path)
    connection.execute("DELETE FROM events WHERE seq >= 5")
    connection.commit()
    verify_fails(path, "truncated")


def test_truncating_the_log_is_caught_by_the_publication_record(published_copy):
    path, connection = published_copy
    connection.execute("DELETE FROM events WHERE seq >= 5")
    connection.commit()
    verify_fails(path, "publication record")


def test_truncating_the_log_and_its_record_is_caught_by_the_projections(published_copy):
    path, connection = published_copy
    head = connection.execute("SELECT hash FROM events WHERE seq = 4").fetchone()[0]
    connection.execute("DELETE FROM events WHERE seq >= 5")
    connection.execute("UPDATE publication SET event_count = 4, head_hash = ?", (head,))
    connection.row_factory = sqlite3.Row
    record = dict(connection.execute("SELECT * FROM publication").fetchone())
    from timeline import signing  # a careful forger rewrites the record's message too
    connection.execute("UPDATE publication SET signed_message = ?", (signing.message(record),))
    connection.commit()
    verify_fails(path, "truncated")


def test_a_missing_publication_record_is_caught(published_copy):
    path, connection = published_copy
    connection.execute("DELETE FROM publication")
    connection.commit()
    verify_fails(path, "publication record is missing")


def test_an_edited_publication_record_is_caught(published_copy):
    path, connection = published_copy
    connection.execute("UPDATE publication SET head_hash = ?", ("f" * 64,))
    connection.commit()
    verify_fails(path, "publication record")


def test_editing_a_cited_source_is_caught(copy):
    path, connection = copy
    connection.execute("UPDATE sources SET url = 'https://example.com/forged'")
    connection.commit()
    verify_fails(path, "seq 1")


@pytest.mark.parametrize("sql, table", [
    ("UPDATE entity_state SET value = '\"Paris\"'", "entity_state"),
    ("UPDATE event_status SET status = 'current' WHERE status != 'current'", "event_status"),
    ("UPDATE metric_history SET amount = amount * 10", "metric_history"),
    ("DELETE FROM relationships", "relationships"),
])
def test_editing_a_projection_is_caught(copy, sql, table):
    path, connection = copy
    connection.execute(sql)
    connection.commit()
    verify_fails(path, table)


def test_a_file_cut_in_half_is_an_error_not_a_traceback(published, tmp_path):
    path = tmp_path / "cut.db"
    data = published.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    result = Cli(path)("verify", path)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr


# ---- the registry's chains, the published file's schema, search index and reader tables ----

@pytest.mark.parametrize("sql, table", [
    ("UPDATE entities SET name = 'Forged Inc.'", "entities"),
    ("UPDATE entity_aliases SET alias = 'FORGED'", "entity_aliases"),
    ("UPDATE entity_aliases SET alias_folded = 'forged'", "entity_aliases"),
    ("DELETE FROM entity_aliases WHERE id = 1", "entity_aliases"),
    ("UPDATE sources SET recorded_at = '2020-01-01T00:00:00.000000Z'", "sources"),
])
def test_editing_the_registry_is_caught(copy, sql, table):
    path, connection = copy
    connection.execute(sql)
    connection.commit()
    verify_fails(path, f"{table} chain broken at id")


@pytest.mark.parametrize("sql, table", [
    ("UPDATE state_values SET display = 'FORGED'", "state_values"),
    ("UPDATE event_periods SET period = 'Q9 2099'", "event_periods"),
    ("INSERT INTO entity_names VALUES ('forged', 'acme')", "entity_names"),
])
def test_editing_a_reader_table_is_caught(published_copy, sql, table):
    path, connection = published_copy
    connection.execute(sql)
    connection.commit()
    verify_fails(path, f"{table} differs from what the log gives")


@pytest.mark.parametrize("statements, problem", [
    (["DROP VIEW timeline", "CREATE VIEW timeline AS SELECT e.seq, e.id AS event_id, e.entity, en.name AS entity_name, "
      "e.counterparty, NULL AS counterparty_name, e.kind, e.date_text, e.valid_from, e.valid_to, e.precision, "
      "e.date_note, e.reported_on, replace(e.summary, '155.6', '955.6') AS summary, e.attributes, e.quote, "
      "s.key AS source_key, s.title AS source_title, s.publisher AS source_publisher, s.url AS source_url, "
      "'current' AS status, NULL AS changed_by, e.supersedes, e.retracts, e.reason, e.recorded_at "
      "FROM events e JOIN entities en ON en.key = e.entity JOIN sources s ON s.id = e.source_id"],
     "view timeline is defined differently"),
    (["DROP VIEW current_events", "CREATE VIEW current_events AS SELECT * FROM timeline"],
     "view current_events is defined differently"),
    (["CREATE TABLE extra (x)"], "table extra is not one publish writes"),
])
def test_a_redefined_view_or_an_extra_table_in_a_published_file_is_caught(published_copy, statements, problem):
    path, connection = published_copy
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    verify_fails(path, f"published schema altered: {problem}")


def test_a_dropped_trigger_is_caught(published_copy):
    path, _ = published_copy
    DROPPED_TRIGGERS[path] = DROPPED_TRIGGERS[path][1:]
    verify_fails(path, "is missing")


def test_extra_rows_in_the_search_index_are_caught(published_copy):
    path, connection = published_copy
    connection.execute("INSERT INTO timeline_fts (rowid, summary, quote, source_title, entity_name) "
                       "VALUES (2, 'forged', 'forged', 'forged', 'forged')")
    connection.commit()
    verify_fails(path, "full-text index does not match the events")


def test_a_published_file_without_its_record_and_cut_short_is_caught(published_copy):
    path, connection = published_copy
    connection.execute("DELETE FROM events WHERE seq > 3")
    connection.execute("DROP TABLE publication")
    connection.commit()
    verify_fails(path, "publication record is missing")


def test_a_live_log_cut_short_is_caught_only_against_its_known_head(originals, tmp_path):
    """Triggers dropped, rows deleted, projections rebuilt: the chain is a valid prefix. `--expect-head` catches it."""
    head = Cli(originals["live"]).ok("verify").split()[-1]
    path, connection = doctorable(originals["live"], tmp_path)
    connection.execute("DELETE FROM events WHERE seq > 4")
    connection.commit()
    connection.close()
    restore_triggers(path)
    Cli(path).ok("rebuild")
    assert Cli(path).ok("verify").startswith("ok: 4 events")  # what an unsigned chain cannot prove
    verify_fails(path, "not at the expected head", "--expect-head", head)
