"""metrics curators add; what a metric's report stated

Revision ID: 0003
Revises: 0002
The metrics table holds the metrics curators add (`timeline metric add`),
append-only like entities: the database refuses UPDATE and DELETE (and
TRUNCATE on PostgreSQL).  metric_history.value keeps what a report stated
(a figure, a range, an outcome, a change) beside its amount, and
metric_history.series the segment, product or market a figure covers;
projections are derived again by `timeline init` after the upgrade.

Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPEND_ONLY = "metrics are append-only: add a new metric instead"


def upgrade():
    op.create_table('metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('section', sa.String(length=40), nullable=True),
    sa.Column('chart', sa.Boolean(), nullable=False),
    sa.Column('opposite', sa.String(length=100), nullable=True),
    sa.Column('xbrl', sa.Text(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('metric_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('value', sa.Text(), nullable=True))
    dialect = op.get_bind().dialect.name
    for operation in ("UPDATE", "DELETE"):
        name = f"metrics_no_{operation.lower()}"
        if dialect == "sqlite":
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON metrics FOR EACH ROW "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
        else:
            allowed = "NEW" if operation == "UPDATE" else "OLD"
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       f"RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; RETURN {allowed}; END $$")
            op.execute(f"CREATE TRIGGER {name} BEFORE {operation} ON metrics FOR EACH ROW EXECUTE FUNCTION {name}()")
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION metrics_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   f"RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; END $$")
        op.execute("CREATE TRIGGER metrics_no_truncate BEFORE TRUNCATE ON metrics EXECUTE FUNCTION metrics_no_truncate()")


def downgrade():
    dialect = op.get_bind().dialect.name
    for operation in ("UPDATE", "DELETE") + (("TRUNCATE",) if dialect == "postgresql" else ()):
        name = f"metrics_no_{operation.lower()}"
        op.execute(f"DROP TRIGGER {name}" + (" ON metrics" if dialect == "postgresql" else ""))
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION {name}()")
    with op.batch_alter_table('metric_history', schema=None) as batch_op:
        batch_op.drop_column('value')
        batch_op.drop_column('series')
    op.drop_table('metrics')
