"""the registry's hash chains; sources immutable

Revision ID: 0004
Revises: 0003
Entities, aliases, sources and metrics each become a SHA-256 chain in id
order (prev_hash, hash: timeline.chain.row_hash), so `timeline verify` catches
a renamed entity, an edited alias or source, a deleted or reordered row.  The
hashes of the rows a log already holds are computed here, by the rule as it
stands today (frozen in this file).  Sources become immutable like the rest of
the registry: a source is corrected by adding a new one.

Create Date: 2026-12-01
"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("entities", "entity_aliases", "sources", "metrics")
GENESIS = "0" * 64
SOURCE_IMMUTABLE = "sources are immutable: add a new source instead"
APPEND_ONLY = {
    "entities": "entities and aliases are append-only: add a new entity or alias instead",
    "entity_aliases": "entities and aliases are append-only: add a new entity or alias instead",
    "metrics": "metrics are append-only: add a new metric instead",
}


def _hash(table, row, prev):
    payload = {**row, "prev_hash": prev}
    if table == "metrics":
        payload["chart"] = bool(payload["chart"])
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


def _triggers(table, create, message, condition=None):
    dialect = op.get_bind().dialect.name
    for operation in ("UPDATE", "DELETE"):
        name = f"{table}_no_{operation.lower()}"
        if not create:
            op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
            if dialect == "postgresql":
                op.execute(f"DROP FUNCTION {name}()")
            continue
        if dialect == "sqlite":
            when = f"WHEN {condition} " if condition else ""
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW {when}"
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        else:
            check = f"IF {condition} THEN " if condition else ""
            end_check = " END IF;" if condition else ""
            allowed = "NEW" if operation == "UPDATE" else "OLD"
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       f"{check}RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';{end_check} "
                       f"RETURN {allowed}; END $$")
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")


def upgrade():
    bind = op.get_bind()
    for table in TABLES:
        _triggers(table, False, None)
        op.add_column(table, sa.Column("prev_hash", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("hash", sa.String(length=64), nullable=True))
        columns = [c["name"] for c in sa.inspect(bind).get_columns(table) if c["name"] not in ("prev_hash", "hash")]
        rows = bind.execute(sa.text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")).mappings().all()
        prev = GENESIS
        for row in rows:
            digest = _hash(table, dict(row), prev)
            bind.execute(sa.text(f"UPDATE {table} SET prev_hash = :prev, hash = :hash WHERE id = :id"),
                         {"prev": prev, "hash": digest, "id": row["id"]})
            prev = digest
        op.create_index(f"uq_{table}_hash", table, ["hash"], unique=True)
        _triggers(table, True, SOURCE_IMMUTABLE if table == "sources" else APPEND_ONLY[table])


def downgrade():
    cited = "EXISTS (SELECT 1 FROM events WHERE source_id = OLD.id)"
    for table in TABLES:
        _triggers(table, False, None)
        op.drop_index(f"uq_{table}_hash", table_name=table)
        op.drop_column(table, "hash")
        op.drop_column(table, "prev_hash")
        if table == "sources":
            _triggers(table, True, "source is cited by events and is immutable: add a new source instead", cited)
        else:
            _triggers(table, True, APPEND_ONLY[table])
