"""Checking a timeline database: every row a reader can see is what the log says.

- the event chain: `verify_chain` walks the log in seq order and recomputes
  every hash; the first row that does not match is named.  Seq must run
  1, 2, 3… without gaps, so a deleted or reordered row shows up as well as an
  edited one;
- the registry's chains (entities, aliases, sources, metrics: chain.row_hash),
  walked in id order the same way;
- the projections, against a replay of the log;
- a published file (it has no alembic_version) must have its `publication`
  record, whose counts and chain heads must match; its schema (tables, views,
  indexes, triggers) must be exactly what publish writes, so a redefined view
  is caught; its full-text index must match its content; its reader tables
  (event_periods, state_values, entity_names) must equal what publish computes;
- `expect_head`: the event chain must end at this hash (a log cut short
  verifies otherwise: an unsigned chain proves integrity, not completeness);
- `key`: a published file must be signed by this Ed25519 key (signing.py).
"""
import json
from dataclasses import dataclass

import sqlalchemy as sa

from . import chain, projections, schema, signing
from .registry import fold


@dataclass
class Verdict:
    ok: bool
    events: int
    head: str
    problem: str = None
    bad_seq: int = None
    registry: dict = None  # '<table>_head' -> hash of the registry chains' last rows

    signed: bool = False

    def message(self):
        if self.ok:
            signed = "; signed by the key given" if self.signed else ""
            return f"ok: {self.events} events, chain head {self.head}{signed}"
        return self.problem


def verify_chain(conn):
    sources = {row.id: dict(row._mapping) for row in conn.execute(sa.select(schema.sources))}
    prev_hash, expected_seq, count = chain.GENESIS, 1, 0
    columns = [c for c in schema.events.c]
    result = conn.execution_options(stream_results=True, yield_per=5000).execute(
        sa.select(*columns).order_by(schema.events.c.seq))
    for row in result:
        event = dict(row._mapping)
        seq = event["seq"]
        if seq != expected_seq:
            problem = "missing" if seq > expected_seq else "out of order"
            return _bad(count, prev_hash, expected_seq, f"chain broken at seq {expected_seq}: event {problem} (next row has seq {seq})")
        if event["prev_hash"] != prev_hash:
            return _bad(count, prev_hash, seq, f"chain broken at seq {seq}: prev_hash does not match the previous event")
        source = sources.get(event["source_id"])
        if source is None:
            return _bad(count, prev_hash, seq, f"chain broken at seq {seq}: cites a source that does not exist")
        try:
            canonical = chain.canonical_json(json.loads(event["attributes"])) == event["attributes"]
            computed = chain.event_hash(event, source)
        except (ValueError, TypeError):
            canonical, computed = False, None
        if not canonical:
            return _bad(count, prev_hash, seq, f"chain broken at seq {seq}: attributes are not canonical JSON")
        if computed != event["hash"]:
            return _bad(count, prev_hash, seq, f"chain broken at seq {seq}: the row does not match its hash")
        prev_hash, expected_seq, count = event["hash"], seq + 1, count + 1
    head = prev_hash if count else chain.GENESIS
    return Verdict(True, count, head)


def _bad(count, head, seq, problem):
    return Verdict(False, count, head, problem, seq)


def verify_projections(conn, verdict):
    """Projections must equal a replay; a log cut short leaves them ahead of it."""
    last_projected = conn.execute(sa.select(sa.func.max(schema.event_status.c.seq))).scalar() or 0
    if last_projected > verdict.events:
        return _bad(verdict.events, verdict.head, verdict.events + 1,
                    f"log truncated: projections know seq {last_projected} but the log ends at seq {verdict.events}")
    differing = projections.compare(conn)
    if differing:
        return _bad(verdict.events, verdict.head, None,
                    f"projections differ from a replay of the log: {', '.join(differing)} (run `timeline rebuild`)")
    return verdict


def verify_registry(conn, verdict):
    """Each registry table is a chain in id order: every row's prev_hash and hash must check."""
    heads = {}
    for name in chain.REGISTRY_TABLES:
        table = schema.metadata.tables[name]
        prev_hash = chain.GENESIS
        for row in conn.execute(sa.select(table).order_by(table.c.id)):
            row = dict(row._mapping)
            if row["prev_hash"] != prev_hash:
                return _bad(verdict.events, verdict.head, None,
                            f"{name} chain broken at id {row['id']}: prev_hash does not match the row before")
            if chain.row_hash(name, row) != row["hash"]:
                return _bad(verdict.events, verdict.head, None,
                            f"{name} chain broken at id {row['id']}: the row does not match its hash")
            if name == "entity_aliases" and row["alias_folded"] != fold(row["alias"]):
                return _bad(verdict.events, verdict.head, None,
                            f"{name} chain broken at id {row['id']}: alias_folded is not the folded alias")
            prev_hash = row["hash"]
        heads[f"{name}_head"] = prev_hash
    verdict.registry = heads
    return verdict


def verify_publication(conn, verdict):
    """The publication record of a published file: present, and matching every chain it published."""
    if not sa.inspect(conn).has_table("publication"):
        return _bad(verdict.events, verdict.head, None,
                    "publication record is missing: not a file `timeline publish` wrote, or one cut short")
    row = conn.execute(sa.text("SELECT * FROM publication")).mappings().first()
    if row is None:
        return _bad(verdict.events, verdict.head, None, "publication record is missing")
    if row["event_count"] != verdict.events or row["head_hash"] != verdict.head:
        return _bad(verdict.events, verdict.head, min(row["event_count"], verdict.events) + 1,
                    f"published file does not match its publication record: {verdict.events} events, "
                    f"head {verdict.head}; the record says {row['event_count']} events, head {row['head_hash']}")
    counts = {"entity_count": schema.entities, "source_count": schema.sources}
    for field, table in counts.items():
        found = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        if found != row[field]:
            return _bad(verdict.events, verdict.head, None,
                        f"published file holds {found} {table.name}; its publication record says {row[field]}")
    for field, head in verdict.registry.items():
        if row.get(field) != head:
            return _bad(verdict.events, verdict.head, None,
                        f"published {field.removesuffix('_head')} do not match the publication record's chain head")
    if row["signed_message"] != signing.message(row):
        return _bad(verdict.events, verdict.head, None, "the publication record's signed message does not match it")
    return verdict


def verify_published(conn, verdict):
    """What a published file adds: its schema, its full-text index and its reader tables, as publish writes them."""
    from . import publish
    problem = publish.schema_differences(conn)
    if problem:
        return _bad(verdict.events, verdict.head, None, f"published schema altered: {problem}")
    problem = publish.search_index_problem(conn)
    if problem:
        return _bad(verdict.events, verdict.head, None, f"full-text index does not match the events: {problem}")
    for name, expected in publish.reader_tables(conn).items():
        stored = [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT * FROM {name}"))]
        if _rows_key(stored) != _rows_key(expected):
            return _bad(verdict.events, verdict.head, None,
                        f"{name} differs from what the log gives (a reader table was edited)")
    return verdict


def _rows_key(rows):
    """Rows as sorted JSON texts, numbers as floats: SQLite gives 1.0 back for a REAL column written as 1."""
    def number(value):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    return sorted(json.dumps({k: number(v) for k, v in row.items()}, sort_keys=True) for row in rows)


def verify_signature(conn, verdict, key):
    row = conn.execute(sa.text("SELECT * FROM publication")).mappings().first()
    problem = signing.check(row["signed_message"], row["signature"], key)
    if problem:
        return _bad(verdict.events, verdict.head, None, problem)
    verdict.signed = True
    return verdict


def verify(conn, expect_head=None, key=None):
    """The Verdict on the database or published file behind `conn` (see the module's docstring)."""
    published = not sa.inspect(conn).has_table("alembic_version")
    steps = [verify_chain, verify_registry]
    if published:
        steps.append(verify_publication)
    steps.append(verify_projections)
    if published:
        steps.append(verify_published)
    verdict = None
    for step in steps:
        verdict = step(conn) if verdict is None else step(conn, verdict)
        if not verdict.ok:
            return verdict
    if expect_head and verdict.head != expect_head:
        return _bad(verdict.events, verdict.head, None,
                    f"the log ends at {verdict.head} after {verdict.events} events, not at the expected head {expect_head}")
    if key:
        if not published:
            return _bad(verdict.events, verdict.head, None, "--key checks a published file's signature; "
                        "this is a live database")
        return verify_signature(conn, verdict, key)
    return verdict
