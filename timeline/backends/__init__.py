"""One seam for every database a timeline log can live in.

A backend is what differs between SQLite (the embedded default) and
PostgreSQL (the shared server for a team): how to open an engine for a URL,
how a write transaction takes the log's lock, how to read one consistent
snapshot, how to insert many rows fast, and how to keep id sequences in step.
Everything above this package (writer, projections, publish, transfer…) asks
`backend_for(…)` and never looks at the dialect itself.

Alembic revisions are the one exception: a revision is frozen history and
must create the same schema forever, so it spells out its own DDL per dialect
instead of calling code that may change.
"""
from contextlib import contextmanager

import sqlalchemy as sa

BUSY_TIMEOUT_SECONDS = 60
CONNECT_TIMEOUT_SECONDS = 10
INSERT_CHUNK = 20000


class Backend:
    """What every backend provides; `sqlite.SQLite` and `postgresql.PostgreSQL` implement it."""

    name = None
    busy_timeout_seconds = BUSY_TIMEOUT_SECONDS  # how long a writer waits for the log lock

    def create_engine(self, url, path=None):
        """An Engine for `url` (a SQLAlchemy URL object); raises TimelineError for a bad one."""
        raise NotImplementedError

    @contextmanager
    def write_transaction(self, engine):
        """A connection in a transaction that holds the log's write lock.

        Every writer (appends, imports, rebuild, copy, schema upgrades) goes
        through here, so all writes to one database run one after another and
        each sees the previous one's commit before it reads the chain head.
        """
        raise NotImplementedError
        yield

    snapshot_isolation = None  # the isolation level under which one transaction sees one state

    @contextmanager
    def read_snapshot(self, engine):
        """A read-only transaction that sees one consistent state of the whole log."""
        with engine.connect() as conn:
            if self.snapshot_isolation:
                conn = conn.execution_options(isolation_level=self.snapshot_isolation)
            transaction = conn.begin()
            try:
                yield conn
            finally:
                transaction.rollback()  # read only: nothing to keep

    def insert_many(self, conn, table, values, columns=None):
        """INSERT `values` (tuples in the order of `columns`, default table.c), a chunk at a time.

        A generator is consumed a chunk at a time, so a million rows need not
        exist as tuples at once.
        """
        raise NotImplementedError

    def prepare_database(self, engine):
        """Settings a new or upgraded database keeps (`timeline init`); a no-op by default."""

    def prepare_bulk_load(self, conn, rows):
        """Tune the connection before inserting `rows` rows in one transaction (a no-op by default)."""

    def drop_indexes(self, conn, tables, names=None):
        """Drop the plain (not unique) indexes of `tables` (those of `names` only, when given) before a
        bulk load into them; returns what `restore_indexes` needs to make them again.  A no-op
        (returns []) by default."""
        return []

    def restore_indexes(self, conn, dropped):
        """Make again the indexes `drop_indexes` dropped (the same definitions)."""

    def sync_id_sequences(self, conn, last_ids):
        """Move the id sequences of {table name: last id} past the ids assigned (a no-op by default)."""

    def display_name(self, url):
        """How messages name the database: the file for SQLite, the URL without password otherwise."""
        return url.render_as_string(hide_password=True)

    def same_database(self, url_a, url_b):
        """True when two URLs name the same database."""
        return (url_a.get_backend_name(), url_a.host, url_a.port, url_a.database) == \
            (url_b.get_backend_name(), url_b.host, url_b.port, url_b.database)

    def permission_hint(self, error):
        """A hint for an error that means the role lacks a privilege, else None."""
        return None



def backend_named(name):
    if name == "sqlite":
        from .sqlite import SQLite
        return SQLite()
    if name == "postgresql":
        from .postgresql import PostgreSQL
        return PostgreSQL()
    return None


def backend_for(bind):
    """The backend of an Engine, a Connection or a URL."""
    if isinstance(bind, (sa.engine.Engine, sa.engine.Connection)):
        name = bind.dialect.name
    else:
        name = sa.engine.make_url(bind).get_backend_name()
    backend = backend_named(name)
    if backend is None:
        # any other SQLAlchemy URL: reading works through SQLAlchemy alone, but the
        # log lock and the immutability triggers exist only for these two
        from ..errors import TimelineError
        raise TimelineError(f"timeline keeps its log in SQLite or PostgreSQL, not {name}")
    return backend
