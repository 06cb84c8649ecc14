"""The migrations are the schema: they agree with schema.py, go down and up,
and the database itself refuses to edit or delete events."""
import sqlite3

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from timeline import database, schema


def schema_differences(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to: not (
                type_ == "table" and reflected and compare_to is None and name not in schema.metadata.tables),
        })
        return compare_metadata(context, schema.metadata)


def test_migrations_produce_exactly_schema_py(db):
    assert schema_differences(database.connect(db)) == []


def test_downgrade_then_upgrade_round_trip(db):
    engine = database.connect(db)
    database.downgrade(engine, "base")
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    database.upgrade(engine)
    database.check(engine)
    assert schema_differences(engine) == []


def test_init_is_idempotent(cli):
    cli.ok("init")
    cli.ok("init")


@pytest.fixture
def sqlite_with_event(sqlite_db, corpus):
    from .conftest import Cli
    Cli(sqlite_db).ok("import", corpus)
    return sqlite_db


@pytest.mark.parametrize("statement", [
    "UPDATE events SET summary = 'edited' WHERE seq = 1",
    "UPDATE events SET attributes = '{}'",
    "DELETE FROM events WHERE seq = 1",
    "DELETE FROM events",
])
def test_raw_sqlite3_cannot_change_events(sqlite_with_event, statement):
    connection = sqlite3.connect(sqlite_with_event)
    with pytest.raises(sqlite3.DatabaseError, match="events are immutable: append a correction"):
        connection.execute(statement)
    connection.close()


@pytest.mark.parametrize("statement, message", [
    ("UPDATE sources SET title = 'x'", "sources are immutable: add a new source instead"),
    ("DELETE FROM sources", "sources are immutable: add a new source instead"),
    ("UPDATE entities SET name = 'x'", "append-only"),
    ("DELETE FROM entity_aliases", "append-only"),
])
def test_raw_sqlite3_cannot_change_cited_sources_or_entities(sqlite_with_event, statement, message):
    connection = sqlite3.connect(sqlite_with_event)
    with pytest.raises(sqlite3.DatabaseError, match=message):
        connection.execute(statement)
    connection.close()


def test_an_uncited_source_is_immutable_too(sqlite_db):
    """Sources are in the registry's chain since schema 0004: fixed by adding a new one, like entities."""
    from .conftest import Cli
    Cli(sqlite_db).ok("source", "add", "draft-doc", "--title", "A draft", "--published-on", "2025-01-02")
    connection = sqlite3.connect(sqlite_db)
    with pytest.raises(sqlite3.DatabaseError, match="sources are immutable"):
        connection.execute("UPDATE sources SET title = 'A fixed title' WHERE key = 'draft-doc'")
    connection.close()


def test_the_revisions_timeline_knows_are_alembics():
    """database.revisions() reads the file names (no Alembic at start-up); Alembic reads the files."""
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(database.alembic_config())
    assert database.head_revision() == script.get_current_head()
    assert database.revisions() == sorted(r.revision for r in script.walk_revisions())


def test_a_log_of_an_older_schema_upgrades_in_place_and_still_verifies(loaded):
    loaded.ok("source", "add", "acme-10q", "--title", "Acme 10-Q", "--published-on", "2025-11-01")
    loaded.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=155.7 million USD", "--reason", "restated", "--keep-summary",
              "--source", "acme-10q")
    before = loaded.ok("verify")
    engine = database.connect(loaded.db)
    database.downgrade(engine, "0001")  # the schema of the first release, events and all
    with engine.connect() as connection:
        assert not sa.inspect(connection).has_table("event_standing")
    assert "has schema 0001; run `timeline init` to upgrade it" in loaded("verify").stderr
    loaded.ok("init")
    assert loaded.ok("verify") == before
    with engine.connect() as connection:
        spans = connection.execute(sa.text(
            "SELECT known_from, known_until, status FROM event_standing WHERE event_id = 'acme/2025-q2/revenue' "
            "ORDER BY known_from")).all()
    assert [tuple(span) for span in spans] == [("2025-09-08", "2025-11-01", "current"),
                                               ("2025-11-01", None, "superseded")]
