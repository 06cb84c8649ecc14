"""Opening a timeline database: URL handling, SQLite settings, schema version.

`--db` takes a file path (SQLite) or any SQLAlchemy URL.  Every write goes
through a transaction that first takes the log's write lock (see store.py);
on SQLite that is BEGIN IMMEDIATE, so concurrent writers queue on the busy
timeout instead of failing half way; on PostgreSQL an advisory lock with the
same timeout.  A PostgreSQL URL without a driver gets psycopg 3, and a server
that cannot be reached (or refuses the role or database) is one TimelineError
line naming the URL, password hidden, within CONNECT_TIMEOUT_SECONDS.
"""
import os
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from .errors import TimelineError

DEFAULT_DB = "timeline.db"
BUSY_TIMEOUT_SECONDS = 60
CONNECT_TIMEOUT_SECONDS = 10


def url_for(db):
    """A SQLAlchemy URL from a --db value: a URL as is, anything else a SQLite path."""
    db = db or os.environ.get("TIMELINE_DB") or DEFAULT_DB
    if "://" in str(db):
        return str(db)
    return f"sqlite:///{Path(db)}"


def _sqlite_path(url):
    parsed = sa.engine.make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else None


def connect(db=None, must_exist=True):
    """An Engine for `db`; raises TimelineError for a missing file or a bad URL."""
    url = url_for(db)
    try:
        path = _sqlite_path(url)
    except sa.exc.ArgumentError:
        raise TimelineError(f"cannot read {db!r} as a database path or URL") from None
    if path is not None:
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
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, poolclass=sa.pool.NullPool)
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
        return engine
    parsed = sa.engine.make_url(url)
    try:
        if parsed.drivername == "postgresql":
            # the driver timeline installs (psycopg 3), whatever SQLAlchemy's default is
            parsed = parsed.set(drivername="postgresql+psycopg")
        connect_args = {}
        if parsed.drivername == "postgresql+psycopg" and "connect_timeout" not in parsed.query:
            # an unreachable server is an error within seconds, not a hang
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        shown = parsed.render_as_string(hide_password=True)
        hint = " (install the driver: pip install 'timeline[postgres]')" if isinstance(error, ImportError) else ""
        raise TimelineError(f"cannot open {shown}: {_first_line(error)}{hint}") from None
    sa.event.listen(engine, "handle_error", _connect_failed)
    return engine


def _connect_failed(context):
    """A server that cannot be reached, or refuses us, is one line naming it.

    SQLAlchemy calls handle_error with no Connection only when opening the
    DBAPI connection failed (refused, unknown host, bad password, no such
    database); errors from statements keep their own handling.
    """
    if context.connection is None and context.statement is None:
        name = context.engine.url.render_as_string(hide_password=True) if context.engine else "the database"
        reason = _first_line(context.original_exception).removeprefix("connection failed: ")
        raise TimelineError(f"cannot connect to {name}: {reason}")


def _configure_sqlite(dbapi_connection, _record):
    # take transaction control from the sqlite3 module so BEGIN is ours to say
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _begin_sqlite(connection):
    immediate = connection.get_execution_options().get("write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("timeline.migrations")))
    config.attributes["connection"] = connection
    return config


def head_revision():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection):
    inspector = sa.inspect(connection)
    if "alembic_version" not in inspector.get_table_names():
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine, revision="head"):
    """Create or upgrade the schema (timeline init); one transaction."""
    from alembic import command

    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        if tables and "alembic_version" not in tables:
            raise TimelineError(f"{engine.url.render_as_string(hide_password=True)} holds other tables and is not a timeline database")
        _refuse_newer(connection)
    if engine.dialect.name == "postgresql":
        # under the log's write lock (store.py): two `init`s at once, or an
        # upgrade while curators append, take turns instead of colliding
        from .store import write_connection
        with write_connection(engine) as connection:
            command.upgrade(alembic_config(connection), revision)
        return
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine, revision):
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def _refuse_newer(connection):
    from alembic.script import ScriptDirectory

    current = current_revision(connection)
    if current is None:
        return
    script = ScriptDirectory.from_config(alembic_config())
    try:
        script.get_revision(current)
    except Exception:
        raise TimelineError(
            f"this database was created by a newer timeline (schema {current}); upgrade timeline to use it"
        ) from None


def check(engine):
    """Raise TimelineError unless `engine` holds a timeline database at our head."""
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
            if current is None:
                raise TimelineError(f"{_name(engine)} is not a timeline database (run `timeline init` to create one)")
            _refuse_newer(connection)
    except sa.exc.DatabaseError as error:
        if getattr(error.orig, "sqlstate", None) == "42501":  # PostgreSQL: insufficient_privilege
            raise TimelineError(f"{_name(engine)}: {_first_line(error)} "
                                "(the database owner grants curators access: see docs/postgres.md)") from None
        raise TimelineError(f"{_name(engine)} is not a timeline database ({_first_line(error)})") from None
    if current != head_revision():
        raise TimelineError(f"{_name(engine)} has schema {current}; run `timeline init` to upgrade it")


def _name(engine):
    return engine.url.database if engine.url.get_backend_name() == "sqlite" else engine.url.render_as_string(hide_password=True)


def _first_line(error):
    return str(getattr(error, "orig", error)).splitlines()[0]
