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


def doctorable(original, tmp_path):
    """(path, sqlite3 connection) of a copy of `original`, triggers dropped."""
    path = tmp_path / "downloaded.db"
    shutil.copy(original, path)
    connection = sqlite3.connect(path)
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        connection.execute(f'DROP TRIGGER "{name}"')
    connection.execute("PRAGMA foreign_keys = OFF")
    return path, connection


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


def verify_fails(path, expected):
    result = Cli(path)("verify", path)
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


# Known gaps, pinned so that closing them is noticed (strict: an unexpected pass fails the run and the
# mark comes off).  The chain covers events and, through their source digests, cited sources; it does
# not cover the entity registry, and `verify` does not recompute the reader helpers publish adds.
@pytest.mark.xfail(strict=True, reason="entities and aliases are not in the hash chain: a renamed entity verifies")
@pytest.mark.parametrize("sql", ["UPDATE entities SET name = 'Forged Inc.'", "UPDATE entity_aliases SET alias = 'FORGED'"])
def test_editing_the_entity_registry_is_caught(copy, sql):
    path, connection = copy
    connection.execute(sql)
    connection.commit()
    verify_fails(path, "entit")


@pytest.mark.xfail(strict=True, reason="verify does not recompute publish's helper tables (state_values, event_periods)")
@pytest.mark.parametrize("sql", ["UPDATE state_values SET display = 'FORGED'", "UPDATE event_periods SET period = 'Q9 2099'"])
def test_editing_a_reader_helper_table_is_caught(published_copy, sql):
    path, connection = published_copy
    connection.execute(sql)
    connection.commit()
    verify_fails(path, "state_values" if "state_values" in sql else "event_periods")
