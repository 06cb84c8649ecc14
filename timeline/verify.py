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
import itertools
import json
import sqlite3
from dataclasses import dataclass

import sqlalchemy as sa

from . import chain, projections, schema, signing
from .progress import SILENT
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


def verify_chain(conn, progress=SILENT):
    """The Verdict on the event chain: every row rehashed, in seq order, the first problem named."""
    if conn.dialect.name == "sqlite":
        verdict = _sqlite_chain(conn, progress)
        if verdict is not None:
            return verdict
        # something did not check: the walk below finds the first problem and says what it is
    sources = {row.id: dict(row._mapping) for row in conn.execute(sa.select(schema.sources))}
    digests = {}  # source id -> chain.source_digest of its row, worked out once
    prev_hash, expected_seq, count = chain.GENESIS, 1, 0
    names = [c.name for c in schema.events.c]
    result = conn.execute(sa.select(*schema.events.c).order_by(schema.events.c.seq)
                          .execution_options(stream_results=True, yield_per=5000))
    with progress.task("checking the event chain", total=_count(conn, schema.events), unit="events") as task:
        for rows in result.partitions(5000):
            for row in rows:
                event = dict(zip(names, row))
                verdict = _check_event(event, expected_seq, prev_hash, count, sources, digests)
                if verdict is not None:
                    return verdict
                prev_hash, expected_seq, count = event["hash"], event["seq"] + 1, count + 1
            task.advance(len(rows))
    head = prev_hash if count else chain.GENESIS
    return Verdict(True, count, head)


def _sqlite_chain(conn, progress):
    """The chain checked at the speed of SQLite: it writes each event's hashed text (chain.canonical_json
    of chain.event_payload, the attributes' stored text spliced in, strings through json_quote, which
    escapes as json.dumps does) and a function of ours hashes it (chain.sha256_hex, the source's digest
    added).  Returns the Verdict when every row checks, None otherwise: then the walk in Python, which
    defines the chain, finds and names the problem (a row this pass doubts is never passed unseen)."""
    raw = conn.connection.driver_connection
    sources = {row.id: dict(row._mapping) for row in conn.execute(sa.select(schema.sources))}
    # what the payload holds of its source: its key and its digest
    middles = {source_id: chain.canonical_json(source["key"]) + ',"source_digest":"' + chain.source_digest(source) + '"'
               for source_id, source in sources.items()}

    def hashed(source_id, prev_hash, before, after):
        middle = middles.get(source_id)
        if middle is None or prev_hash is None or before is None or after is None:
            return None
        return chain.sha256_hex(prev_hash + before + middle + after)

    raw.create_function("timeline_chain_hash", 4, hashed, deterministic=True)
    fields = sorted((*chain.EVENT_FIELDS, "source", "source_digest"))
    assert fields[0] == "attributes" and fields.index("source_digest") == fields.index("source") + 1
    split = fields.index("source")
    before = "'{\"attributes\":' || e.attributes || ',' || " + " || ',' || ".join(
        f"'\"{name}\":' || json_quote(e.{name})" for name in fields[1:split]) + " || ',\"source\":'"
    after = "',' || " + " || ',' || ".join(f"'\"{name}\":' || json_quote(e.{name})" for name in fields[split + 2:]) + " || '}'"
    query = (f"SELECT e.seq, e.prev_hash, e.hash, "
             f"timeline_chain_hash(e.source_id, e.prev_hash, {before}, {after}) IS e.hash "
             f"AND json_valid(e.attributes) AND json(e.attributes) = e.attributes "
             f"FROM events e ORDER BY e.seq")
    prev_hash, expected, count = chain.GENESIS, 1, 0
    cursor = raw.cursor()
    try:
        with progress.task("checking the event chain", total=_count(conn, schema.events), unit="events") as task:
            cursor.execute(query)
            while True:
                rows = cursor.fetchmany(5000)
                if not rows:
                    break
                for seq, row_prev, row_hash, checks in rows:
                    if seq != expected or row_prev != prev_hash or checks != 1:
                        return None
                    prev_hash, expected, count = row_hash, expected + 1, count + 1
                task.advance(len(rows))
    except (sqlite3.Error, ValueError, TypeError, OverflowError):
        return None  # (a value the text cannot be written for: the walk says what is wrong)
    finally:
        cursor.close()
    return Verdict(True, count, prev_hash if count else chain.GENESIS)


def _count(conn, table):
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def _check_event(event, expected_seq, prev_hash, count, sources, digests):
    """None if `event` continues the chain at `expected_seq` after `prev_hash`, else the Verdict saying why not."""
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
        digest = digests.get(event["source_id"])
        if digest is None:
            digest = digests[event["source_id"]] = chain.source_digest(source)
        # the attributes' text, found canonical, is what was hashed: spliced in as it is
        computed = chain.event_hash(event, source, digest, event["attributes"]) if canonical else None
    except (ValueError, TypeError):
        canonical, computed = False, None
    if not canonical:
        return _bad(count, prev_hash, seq, f"chain broken at seq {seq}: attributes are not canonical JSON")
    if computed != event["hash"]:
        return _bad(count, prev_hash, seq, f"chain broken at seq {seq}: the row does not match its hash")
    return None


def _bad(count, head, seq, problem):
    return Verdict(False, count, head, problem, seq)


def verify_projections(conn, verdict, progress=SILENT):
    """Projections must equal a replay; a log cut short leaves them ahead of it."""
    last_projected = conn.execute(sa.select(sa.func.max(schema.event_status.c.seq))).scalar() or 0
    if last_projected > verdict.events:
        return _bad(verdict.events, verdict.head, verdict.events + 1,
                    f"log truncated: projections know seq {last_projected} but the log ends at seq {verdict.events}")
    differing = projections.compare(conn, progress)
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
    for name, (columns, expected) in publish.reader_streams(conn).items():
        stored = conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM {name} ORDER BY {publish.STORED_ORDER[name]}")
        if any(_row_key(a) != _row_key(b) for a, b in itertools.zip_longest(expected, stored)):
            return _bad(verdict.events, verdict.head, None,
                        f"{name} differs from what the log gives (a reader table was edited)")
    return verdict


def _row_key(row):
    """A row as compared, numbers as floats: SQLite gives 1.0 back for a REAL column written as 1."""
    if row is None:
        return None
    return tuple(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in row)


def verify_signature(conn, verdict, key):
    row = conn.execute(sa.text("SELECT * FROM publication")).mappings().first()
    problem = signing.check(row["signed_message"], row["signature"], key)
    if problem:
        return _bad(verdict.events, verdict.head, None, problem)
    verdict.signed = True
    return verdict


def verify(conn, expect_head=None, key=None, progress=SILENT):
    """The Verdict on the database or published file behind `conn` (see the module's docstring).

    Streams: memory stays bounded whatever the size of the log; `progress`
    hears how far each pass has got."""
    progress = progress or SILENT
    published = not sa.inspect(conn).has_table("alembic_version")
    verdict = verify_chain(conn, progress)
    steps = [verify_registry]
    if published:
        steps.append(verify_publication)
    steps.append(lambda conn, verdict: verify_projections(conn, verdict, progress))
    if published:
        steps.append(verify_published)
    for step in [None, *steps]:
        if step is not None:
            verdict = step(conn, verdict)
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
