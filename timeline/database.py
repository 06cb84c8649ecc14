"""Opening a timeline database: URL handling, SQLite settings, schema version.

`--db` takes a file path (SQLite) or any SQLAlchemy URL.  Every write goes
through a transaction that first takes the log's write lock (see store.py);
on SQLite that is BEGIN IMMEDIATE, so concurrent writers queue on the busy
timeout instead of failing half way.
"""
import os
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from .errors import TimelineError

DEFAULT_DB = "timeline.db"
BUSY_TIMEOUT_SECONDS = 60


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
        if must_exist and (path == "" or not Path(path).exists()):
            raise TimelineError(f"no database at {path} (run `timeline init` to create one)")
        if path and Path(path).is_dir():
            raise TimelineError(f"{path} is a directory, not a database file")
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, poolclass=sa.pool.NullPool)
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
        return engine
    try:
        return sa.create_engine(url, poolclass=sa.pool.NullPool)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as error:
        raise TimelineError(f"cannot open {url!r}: {error}") from None


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
        raise TimelineError(f"{_name(engine)} is not a timeline database ({_first_line(error)})") from None
    if current != head_revision():
        raise TimelineError(f"{_name(engine)} has schema {current}; run `timeline init` to upgrade it")


def _name(engine):
    return engine.url.database if engine.url.get_backend_name() == "sqlite" else engine.url.render_as_string(hide_password=True)


def _first_line(error):
    return str(getattr(error, "orig", error)).splitlines()[0]
