"""PostgreSQL: the shared server for a team of curators.

A URL without a driver gets psycopg 3; a server that cannot be reached (or
refuses the role or the database) is one TimelineError line naming the URL,
password hidden, within CONNECT_TIMEOUT_SECONDS.  Appends serialise on a
transaction-level advisory lock (`_lock_log` says why that lock).
"""
from contextlib import contextmanager

import sqlalchemy as sa

from ..batches import batched
from ..errors import TimelineError, first_line
from . import CONNECT_TIMEOUT_SECONDS, INSERT_CHUNK, Backend

LOG_LOCK_ID = 0x7431_6D65  # "timeline": the advisory lock key of the log


class PostgreSQL(Backend):
    name = "postgresql"
    snapshot_isolation = "REPEATABLE READ"

    def create_engine(self, url, path=None):
        try:
            if url.drivername == "postgresql":
                # the driver timeline installs (psycopg 3), whatever SQLAlchemy's default is
                url = url.set(drivername="postgresql+psycopg")
            connect_args = {}
            if url.drivername == "postgresql+psycopg" and "connect_timeout" not in url.query:
                # an unreachable server is an error within seconds, not a hang
                connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
            shown = url.render_as_string(hide_password=True)
            hint = " (install the driver: pip install 'timeline[postgres]')" if isinstance(error, ImportError) else ""
            raise TimelineError(f"cannot open {shown}: {first_line(error)}{hint}") from None
        sa.event.listen(engine, "handle_error", _connect_failed)
        return engine

    @contextmanager
    def write_transaction(self, engine):
        with engine.connect() as conn:
            # pinned, whatever the server's default_transaction_isolation: see _lock_log
            conn = conn.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
                _lock_log(conn, self.busy_timeout_seconds)
                yield conn

    def insert_many(self, conn, table, values, columns=None):
        names = columns or [c.name for c in table.c]
        for batch in batched(values, INSERT_CHUNK):
            conn.execute(table.insert(), [dict(zip(names, row)) for row in batch])

    def sync_id_sequences(self, conn, last_ids):
        for name, last in last_ids.items():
            if last < 1:
                continue  # an empty table: its sequence still starts at 1
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :last)"), {"last": last})

    def permission_hint(self, error):
        if getattr(getattr(error, "orig", None), "sqlstate", None) == "42501":  # insufficient_privilege
            return "the database owner grants curators access: see docs/postgres.md"
        return None


def _lock_log(conn, timeout_seconds):
    """Take the log lock; the writer reads the chain head only after this.

    Why pg_advisory_xact_lock, taken first thing in a READ COMMITTED
    transaction, is right:
    - It serialises appends.  Every writer takes the same lock (one key; the
      lock space is per database, so two timeline databases on one server do
      not wait for each other) before it reads the head, so no two
      transactions can both read seq N and both append seq N+1: the chain
      cannot fork.  A second curator waits instead of failing, as with
      SQLite's BEGIN IMMEDIATE.
    - The next writer sees the previous one's commit.  A transaction-level
      lock is released only at COMMIT/ROLLBACK, after the commit is visible,
      and under READ COMMITTED each statement takes a new snapshot, so the
      head read after the wait includes the previous append.  Under
      REPEATABLE READ or SERIALIZABLE the snapshot would be taken by the
      lock statement itself, before the wait, and the head read would be
      stale (a duplicate seq at best); hence the pinned isolation level.
    - Readers never see a later seq before an earlier one: seq is head + 1
      assigned under the lock, and a writer cannot read the head until the
      previous writer committed, so commits happen in seq order.  (A
      sequence/SERIAL would hand out numbers at INSERT time, commit them out
      of order and leave gaps on rollback.)
    - It cannot leak.  It is released by commit, rollback, or the server
      when the client's connection dies; a session-level advisory lock would
      outlive a failed transaction on a kept connection.
    - It blocks no reader and needs no privilege.  LOCK TABLE events IN
      EXCLUSIVE MODE would also serialise writers, but needs UPDATE/DELETE/
      TRUNCATE rights on events, which curators should not have.  A row lock
      on the head row cannot work for the first append (no row to lock), and
      SERIALIZABLE alone would abort one of two concurrent appends instead of
      queueing it.
    The wait is bounded like SQLite's busy timeout: lock_timeout, local to
    this transaction.
    """
    conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(timeout_seconds)}s'"))
    try:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_ID})
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise TimelineError(f"another writer has held the log for over {timeout_seconds} s; "
                                "nothing was written, try again") from None
        raise


def _connect_failed(context):
    """A server that cannot be reached, or refuses us, is one line naming it.

    SQLAlchemy calls handle_error with no Connection only when opening the
    DBAPI connection failed (refused, unknown host, bad password, no such
    database); errors from statements keep their own handling.
    """
    if context.connection is None and context.statement is None:
        name = context.engine.url.render_as_string(hide_password=True) if context.engine else "the database"
        reason = first_line(context.original_exception).removeprefix("connection failed: ")
        raise TimelineError(f"cannot connect to {name}: {reason}")
