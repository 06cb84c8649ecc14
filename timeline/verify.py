"""Checking a timeline database: the hash chain, and projections against a replay.

`verify` walks the log in seq order and recomputes every hash; the first row
that does not match is named.  Seq must run 1, 2, 3… without gaps, so a
deleted or reordered row shows up as well as an edited one.  A published
file also carries its head hash and event count in `publication`, so a
truncated copy fails too.
"""
import json
from dataclasses import dataclass

import sqlalchemy as sa

from . import chain, projections, schema


@dataclass
class Verdict:
    ok: bool
    events: int
    head: str
    problem: str = None
    bad_seq: int = None

    def message(self):
        if self.ok:
            return f"ok: {self.events} events, chain head {self.head}"
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


def verify_publication(conn, verdict):
    row = conn.execute(sa.text("SELECT head_hash, event_count FROM publication")).first()
    if row is None:
        return _bad(verdict.events, verdict.head, None, "publication record is missing")
    if row.event_count != verdict.events or row.head_hash != verdict.head:
        return _bad(verdict.events, verdict.head, min(row.event_count, verdict.events) + 1,
                    f"published file does not match its publication record: {verdict.events} events, "
                    f"head {verdict.head}; the record says {row.event_count} events, head {row.head_hash}")
    return verdict


def verify(conn):
    verdict = verify_chain(conn)
    if not verdict.ok:
        return verdict
    if "publication" in sa.inspect(conn).get_table_names():
        verdict = verify_publication(conn, verdict)
        if not verdict.ok:
            return verdict
    return verify_projections(conn, verdict)
