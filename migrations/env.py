"""Alembic environment: runs on the connection timeline hands it.

`timeline init` (timeline.database.upgrade) passes its own connection in
config.attributes, so migrations run inside the caller's transaction on any
backend.  Run by hand, `alembic -x db=URL upgrade head` works too.
"""
from alembic import context
import sqlalchemy as sa

from timeline.schema import metadata


def include_object(obj, name, type_, reflected, compare_to):
    # FTS tables and views are created by hand in revisions, not by schema.py
    return not (type_ == "table" and reflected and compare_to is None and name not in metadata.tables)


def run_migrations(connection):
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("db") or context.config.get_main_option("sqlalchemy.url")
    with sa.create_engine(url).connect() as connection:
        run_migrations(connection)
