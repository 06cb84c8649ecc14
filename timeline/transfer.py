"""Moving a whole log between databases: SQLite to PostgreSQL and back.

`copy_log(from_engine, to_engine)` copies the log tables row for row (entities,
aliases, sources, events: every column, so seq, recorded_at, prev_hash and
hash arrive as they left, and so do the row ids and the sources' and
entities' own recording times, which a JSON Lines export does not carry),
then replays the projections on the target and verifies it before
committing:

- the source is read in one snapshot (PostgreSQL: REPEATABLE READ; SQLite:
  one read transaction), so curators may keep appending while it runs;
- the source chain is checked first: a broken log is not copied;
- the target is initialised if needed (the same Alembic revision as
  `timeline init`) and must hold no log yet;
- everything is written in one transaction holding the target's write lock
  (Backend.write_transaction), verified inside it (the chain, the projections
  against a replay, and the head and count against the source's), and
  committed only if all agree; otherwise it rolls back and the target stays
  empty.
"""
from dataclasses import dataclass

import sqlalchemy as sa

from . import database, projections, schema, verify
from .backends import backend_for
from .errors import TimelineError
from .progress import SILENT

BATCH = 5000
# in foreign-key order: aliases and events name entities, events cite sources
ORDER = (schema.entities, schema.entity_aliases, schema.sources, schema.events)
ORDER_BY = {"events": "seq"}


@dataclass
class Copied:
    """What arrived: counts per table, and the verified chain."""
    counts: dict
    verdict: verify.Verdict

    def summary(self):
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        return f"copied {counts}; {self.verdict.message()}"


def copy_log(from_engine, to_engine, progress=None):
    """Copy the whole log of `from_engine` into the empty `to_engine`; returns Copied."""
    progress = progress or SILENT
    database.check(from_engine)
    if backend_for(from_engine).same_database(from_engine.url, to_engine.url):
        raise TimelineError("cannot copy a database onto itself")
    database.upgrade(to_engine)
    target_backend = backend_for(to_engine)
    with backend_for(from_engine).read_snapshot(from_engine) as source:
        expected = verify.verify_chain(source, progress)
        if not expected.ok:
            raise TimelineError(f"the source log is broken, nothing was copied: {expected.message()}")
        with target_backend.write_transaction(to_engine) as target:
            _refuse_non_empty(target, to_engine)
            target_backend.prepare_bulk_load(target, expected.events)
            with progress.task("copying", total=expected.events, unit="events") as task:
                counts = {}
                for table in ORDER:
                    counts[table.name] = _copy_table(source, target, table)
                    if table is schema.events:
                        task.advance(counts[table.name])
            target_backend.sync_id_sequences(target, {table.name: _max_id(target, table)
                                                      for table in ORDER if "id" in table.c and table.name != "events"})
            projections.rebuild(target, progress=progress)
            arrived = verify.verify(target, progress=progress)
            if not arrived.ok:
                raise TimelineError(f"the copy does not verify, nothing was written: {arrived.message()}")
            if (arrived.events, arrived.head) != (expected.events, expected.head):
                raise TimelineError(
                    f"the copy does not match its source, nothing was written: {arrived.events} events, "
                    f"head {arrived.head}; the source has {expected.events} events, head {expected.head}")
    return Copied(counts, arrived)


def _refuse_non_empty(conn, engine):
    held = {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in (*schema.LOG_TABLES, *schema.PROJECTIONS)}
    held = {name: n for name, n in held.items() if n}
    if held:
        what = ", ".join(f"{n} {name}" for name, n in held.items())
        name = database.name(engine)
        raise TimelineError(f"{name} is not empty ({what}); copy only into a new or empty database")


def _copy_table(source, target, table):
    order = table.c[ORDER_BY.get(table.name, "id")]
    result = source.execute(sa.select(table).order_by(order).execution_options(stream_results=True, yield_per=BATCH))
    count, backend = 0, backend_for(target)
    for rows in result.partitions(BATCH):
        backend.insert_many(target, table, [tuple(row) for row in rows])
        count += len(rows)
    return count


def _max_id(conn, table):
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar()
