"""The backend contract: what timeline.backends promises, run against each backend.

`BackendContract` holds the tests; `TestSQLite` and `TestPostgreSQL` run them on
a fresh database of their kind (PostgreSQL: the throwaway cluster of this test
run, skipped with the reason when its binaries are missing).  A new backend
passes when a subclass for it passes.
"""
import threading
import time

import pytest
import sqlalchemy as sa

from timeline import database, schema
from timeline.backends import backend_for

from . import backends, postgres


def status_rows(start, count):
    return ((seq, f"e/{seq}", "acme", "current", None, None) for seq in range(start, start + count))


def count(engine, table=schema.event_status):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


class BackendContract:
    name = None
    test_backend = None  # tests.backends.SQLite() or PostgreSQL()

    @pytest.fixture
    def engine(self, tmp_path):
        url = self.test_backend.fresh_database(tmp_path)
        engine = database.connect(url, must_exist=False)
        database.upgrade(engine)
        yield engine
        engine.dispose()
        self.test_backend.drop(url)

    def test_the_backend_is_found_by_engine_connection_and_url(self, engine):
        assert backend_for(engine).name == self.name
        assert backend_for(engine.url).name == self.name
        with engine.connect() as conn:
            assert backend_for(conn).name == self.name

    def test_insert_many_takes_a_generator_larger_than_a_chunk(self, engine):
        backend = backend_for(engine)
        with backend.write_transaction(engine) as conn:
            backend.insert_many(conn, schema.event_status, status_rows(1, 45000))
        assert count(engine) == 45000

    def test_a_failed_write_transaction_leaves_nothing(self, engine):
        backend = backend_for(engine)
        with pytest.raises(RuntimeError):
            with backend.write_transaction(engine) as conn:
                backend.insert_many(conn, schema.event_status, status_rows(1, 10))
                raise RuntimeError("a mistake half way")
        assert count(engine) == 0

    def test_write_transactions_take_turns(self, engine):
        """A second writer waits for the first to commit, then sees its rows before writing."""
        backend = backend_for(engine)
        first_holds, release, seen = threading.Event(), threading.Event(), []

        def first():
            with backend.write_transaction(engine) as conn:
                backend.insert_many(conn, schema.event_status, status_rows(1, 1))
                first_holds.set()
                release.wait(30)

        def second():
            first_holds.wait(30)
            with backend.write_transaction(engine) as conn:
                seen.append(conn.execute(sa.select(sa.func.count()).select_from(schema.event_status)).scalar())

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        first_holds.wait(30)
        time.sleep(0.5)
        assert seen == []  # the second writer is still waiting for the lock
        release.set()
        for thread in threads:
            thread.join(60)
        assert seen == [1]

    def test_a_read_snapshot_sees_one_state_while_writers_append(self, engine):
        backend = backend_for(engine)
        with backend.write_transaction(engine) as conn:
            backend.insert_many(conn, schema.event_status, status_rows(1, 3))
        with backend.read_snapshot(engine) as snapshot:
            before = snapshot.execute(sa.select(sa.func.count()).select_from(schema.event_status)).scalar()
            done = threading.Event()

            def append():
                with backend.write_transaction(engine) as conn:
                    backend.insert_many(conn, schema.event_status, status_rows(4, 2))
                done.set()

            writer = threading.Thread(target=append)
            writer.start()
            writer.join(30)
            again = snapshot.execute(sa.select(sa.func.count()).select_from(schema.event_status)).scalar()
        assert done.is_set() and (before, again) == (3, 3)
        assert count(engine) == 5

    def test_id_sequences_move_past_the_ids_assigned(self, engine):
        backend = backend_for(engine)
        row = {"key": "acme", "name": "Acme", "type": "company", "fiscal_year_end": "12-31",
               "recorded_at": "2026-01-01T00:00:00.000000Z"}
        with backend.write_transaction(engine) as conn:
            conn.execute(schema.entities.insert(), [{**row, "id": 7}])
            backend.sync_id_sequences(conn, {"entities": 7})
            conn.execute(schema.entities.insert(), [{**row, "key": "globex"}])  # no id: the database picks
            ids = conn.execute(sa.select(schema.entities.c.id).order_by(schema.entities.c.id)).scalars().all()
        assert ids == [7, 8]

    def test_databases_are_named_without_passwords_and_compared(self, engine):
        backend = backend_for(engine)
        assert "secret" not in backend.display_name(engine.url.set(password="secret"))
        assert backend.same_database(engine.url, engine.url)


class TestSQLite(BackendContract):
    name = "sqlite"
    test_backend = backends.SQLite()


@pytest.mark.skipif(postgres.missing_reason() is not None, reason=postgres.missing_reason() or "")
class TestPostgreSQL(BackendContract):
    name = "postgresql"
    test_backend = backends.PostgreSQL()
