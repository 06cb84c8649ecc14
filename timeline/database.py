"""Opening a timeline database: URL or path, and the schema version.

`--db` takes a file path (SQLite) or a SQLAlchemy URL (PostgreSQL); the
backend (timeline.backends) makes the engine.  The schema is Alembic's: `init`
creates or upgrades it; every other command checks the database is at the
revision this timeline knows, without loading Alembic (a command that appends
one event should not pay for the migration machinery): the revisions are the
files in migrations/versions, named after their revision id.
"""
import os
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from .backends import backend_for
from .backends.sqlite import open_path
from .errors import TimelineError, first_line

DEFAULT_DB = "timeline.db"


def url_for(db):
    """A SQLAlchemy URL string from a --db value: a URL as is, anything else a SQLite path."""
    db = db or os.environ.get("TIMELINE_DB") or DEFAULT_DB
    if "://" in str(db):
        return str(db)
    return f"sqlite:///{Path(db)}"


def connect(db=None, must_exist=True):
    """An Engine for `db`; raises TimelineError for a missing file or a bad URL."""
    try:
        url = sa.engine.make_url(url_for(db))
    except (sa.exc.ArgumentError, ValueError):
        raise TimelineError(f"cannot read {db!r} as a database path or URL") from None
    backend = backend_for(url)
    if backend.name == "sqlite":
        open_path(url.database, must_exist)
    return backend.create_engine(url)


def name(engine):
    return backend_for(engine).display_name(engine.url)


# ---- the schema version ----

def revisions():
    """The revision ids this timeline knows, oldest first ('0001', '0002', …)."""
    names = (entry.name for entry in resources.files("timeline.migrations").joinpath("versions").iterdir())
    return sorted(n.split("_", 1)[0] for n in names if n.endswith(".py") and n[:4].isdigit())


def head_revision():
    return revisions()[-1]


def current_revision(connection):
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def check(engine):
    """Raise TimelineError unless `engine` holds a timeline database at our head."""
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    except sa.exc.DatabaseError as error:
        hint = backend_for(engine).permission_hint(error)
        if hint:
            raise TimelineError(f"{name(engine)}: {first_line(error)} ({hint})") from None
        raise TimelineError(f"{name(engine)} is not a timeline database ({first_line(error)})") from None
    if current is None:
        raise TimelineError(f"{name(engine)} is not a timeline database (run `timeline init` to create one)")
    _refuse_newer(current)
    if current != head_revision():
        raise TimelineError(f"{name(engine)} has schema {current}; run `timeline init` to upgrade it")


def _refuse_newer(current):
    if current is not None and current not in revisions():
        raise TimelineError(
            f"this database was created by a newer timeline (schema {current}); upgrade timeline to use it")


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("timeline.migrations")))
    config.attributes["connection"] = connection
    return config


def upgrade(engine, revision="head"):
    """Create or upgrade the schema (timeline init): one transaction under the log's write lock,
    so two `init`s at once, or an upgrade while curators append, take turns."""
    from alembic import command

    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        if tables and "alembic_version" not in tables:
            raise TimelineError(f"{engine.url.render_as_string(hide_password=True)} holds other tables and is not a timeline database")
        _refuse_newer(current_revision(connection))
    backend_for(engine).prepare_database(engine)
    with backend_for(engine).write_transaction(engine) as connection:
        before = current_revision(connection)
        command.upgrade(alembic_config(connection), revision)
        after = current_revision(connection)
        if before is not None and after != before and after == head_revision():
            # a revision may add or reshape a projection: derive them all again
            from . import projections
            projections.rebuild(connection)


def downgrade(engine, revision):
    from alembic import command

    with backend_for(engine).write_transaction(engine) as connection:
        command.downgrade(alembic_config(connection), revision)
