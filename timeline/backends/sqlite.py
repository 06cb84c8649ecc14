"""SQLite: the embedded default, one file.

The log lock is the database's own write lock, taken at BEGIN IMMEDIATE, so
a second writer waits on the busy timeout before it reads the chain head
instead of failing half way.  Transaction control is taken from the sqlite3
module (isolation_level None) so BEGIN is ours to say.  `timeline init` puts
the file in WAL mode (it stays so): a reader's snapshot (a publish, a copy, a
long query) never holds up a curator's commit, and a writer never blocks
readers.  When the last connection closes SQLite folds the WAL back into the
file.
"""
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from ..batches import batched
from ..errors import TimelineError
from . import BUSY_TIMEOUT_SECONDS, INSERT_CHUNK, Backend

BULK_CACHE_KIB = 160 * 1024  # page cache for a bulk load, in KiB (allocated as used; peak memory stays bounded)
BULK_ROWS = 1000  # above this many rows a load gets the big page cache


class SQLite(Backend):
    name = "sqlite"  # a read transaction sees one state of the file until it ends

    def create_engine(self, url, path=None):
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, poolclass=sa.pool.NullPool)
        sa.event.listen(engine, "connect", _configure)
        sa.event.listen(engine, "begin", _begin)
        return engine

    @contextmanager
    def write_transaction(self, engine):
        with engine.connect() as conn:
            conn = conn.execution_options(write=True)  # BEGIN IMMEDIATE (see _begin)
            with conn.begin():
                yield conn

    def insert_many(self, conn, table, values, columns=None):
        # straight through the driver's executemany: SQLAlchemy's per-row parameter
        # processing costs as much as the insert itself, and sqlite3 stores str,
        # int, float, bool and None as they are
        names = columns or [c.name for c in table.c]
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        for batch in batched(values, INSERT_CHUNK):
            conn.exec_driver_sql(sql, batch)

    def prepare_bulk_load(self, conn, rows):
        if rows > BULK_ROWS:
            # the default page cache is 2 MB: a bulk import would re-read the id and
            # hash indexes from the OS for every row it inserts
            conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")

    def drop_indexes(self, conn, tables, names=None):
        # built again from their own CREATE statements, so the schema reads the same after; an index
        # built in one sort is quicker than one kept up to date row by row in random order
        listed = ", ".join(f"'{table.name}'" for table in tables)
        found = [(name, sql) for name, sql in conn.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({listed}) "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name").all()
            if names is None or name in names]
        for name, _ in found:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        return [sql for _, sql in found]

    def restore_indexes(self, conn, dropped):
        for sql in dropped:
            conn.exec_driver_sql(sql)

    def prepare_database(self, engine):
        raw = engine.raw_connection()  # outside any transaction: the journal mode cannot change inside one
        try:
            raw.cursor().execute("PRAGMA journal_mode = WAL")
        finally:
            raw.close()

    def display_name(self, url):
        return url.database

    def same_database(self, url_a, url_b):
        if url_b.get_backend_name() != "sqlite":
            return False
        path_a, path_b = Path(url_a.database or ""), Path(url_b.database or "")
        return path_b.exists() and path_a.exists() and path_a.resolve() == path_b.resolve()


def open_path(path, must_exist):
    """Check a SQLite file path before connecting: a clear line for every way it can be wrong."""
    try:
        exists, is_dir = bool(path) and Path(path).exists(), bool(path) and Path(path).is_dir()
    except OSError as error:  # a name too long for the file system, a path through a file…
        raise TimelineError(f"cannot open {path}: {error.strerror}") from None
    except ValueError:  # a NUL in the path: no shell can pass one, a caller can
        raise TimelineError(f"cannot open {path!r}: a path cannot contain a NUL character") from None
    if must_exist and not exists:
        raise TimelineError(f"no database at {path} (run `timeline init` to create one)")
    if is_dir:
        raise TimelineError(f"{path} is a directory, not a database file")


def _configure(dbapi_connection, _record):
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _begin(connection):
    immediate = connection.get_execution_options().get("write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
