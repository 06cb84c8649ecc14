"""Properties over random logs with corrections and retractions:
incremental projections equal a replay, export→import reproduces the chain,
and as-of / known-at answers equal a brute-force scan of the log."""
import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from timeline import Timeline, loading, projections, rules

from .conftest import write_corpus

ENTITIES = ["acme", "globex", "initech"]
DAY0 = dt.date(2024, 1, 1)

day = st.integers(min_value=0, max_value=730).map(lambda n: (DAY0 + dt.timedelta(days=n)).isoformat())


@st.composite
def new_event(draw):
    entity = draw(st.sampled_from(ENTITIES))
    shape = draw(st.sampled_from(["revenue", "cash", "headquarters", "investment", "partnership"]))
    start = draw(day)
    length = draw(st.sampled_from([0, 0, 29, 90]))
    end = (dt.date.fromisoformat(start) + dt.timedelta(days=length)).isoformat()
    event = {"entity": entity, "date": f"{start} to {end}", "valid_from": start, "valid_to": end,
             "precision": "day" if length == 0 else "approximate", "date_note": "generated",
             "reported_on": draw(day), "summary": "generated", "quote": "generated"}
    amount = draw(st.integers(min_value=-10**9, max_value=10**12))
    if shape in ("revenue", "cash"):
        event.update(kind="financial_result", attributes={"metric": shape, "value": {"amount": amount, "unit": "USD"}})
    elif shape == "headquarters":
        event.update(kind="headquarters", attributes={"location": draw(st.sampled_from(["London", "Singapore", "上海"]))})
    else:
        other = draw(st.sampled_from([e for e in ENTITIES if e != entity]))
        event.update(kind=shape, counterparty=other,
                     attributes={"amount": {"amount": abs(amount), "unit": "USD"}} if shape == "investment" else {})
    return event


operations = st.lists(st.one_of(
    st.tuples(st.just("add"), new_event()),
    st.tuples(st.just("correct"), st.integers(min_value=0), st.sampled_from(["summary", "attributes", "date"]), day),
    st.tuples(st.just("retract"), st.integers(min_value=0)),
), min_size=1, max_size=25)


def fresh_timeline(directory):
    timeline = Timeline.init(str(Path(directory) / "timeline.db"))
    timeline.import_paths([write_corpus(Path(directory) / "events")])
    return timeline


def run(timeline, ops):
    """Apply random operations; corrections and retractions pick a standing event."""
    counter = 0
    for op in ops:
        standing = [r for r in timeline.log() if r.status == "current" and not r.retracts]
        if op[0] == "add":
            counter += 1
            event = dict(op[1])
            timeline.add(event.pop("entity"), event.pop("kind"), event.pop("date"), event.pop("summary"),
                         event.pop("quote"), "acme-q2-2025", id=f"{op[1]['entity']}/gen-{counter}", **event)
        elif standing and op[0] == "correct":
            target = standing[op[1] % len(standing)]
            change = {"summary": {"summary": "corrected"},
                      "attributes": {"attributes": {}},
                      "date": {"valid_from": op[3], "valid_to": op[3], "precision": "day", "date_note": "fixed", "date": op[3]}}[op[2]]
            timeline.correct(target.event_id, "random correction", **change)
        elif standing and op[0] == "retract":
            target = standing[op[1] % len(standing)]
            timeline.retract(target.event_id, "random retraction")


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(ops=operations)
def test_incremental_projections_equal_a_replay(ops):
    with tempfile.TemporaryDirectory() as directory:
        timeline = fresh_timeline(directory)
        run(timeline, ops)
        with timeline.engine.connect() as conn:
            assert projections.compare(conn) == []
        assert timeline.verify().ok


@PROPERTY
@given(ops=operations)
def test_export_then_import_reproduces_the_chain_head(ops):
    with tempfile.TemporaryDirectory() as directory:
        timeline = fresh_timeline(directory)
        run(timeline, ops)
        text, head = timeline.export(), timeline.head()
        (Path(directory) / "log.jsonl").write_text(text, encoding="utf-8")
        copy = Timeline.init(str(Path(directory) / "copy.db"))
        copy.import_paths([Path(directory) / "log.jsonl"])
        assert copy.head() == head
        assert copy.export() == text


def brute_force_state(events, entity, as_of=None, known_at=None):
    """The state by the definition, with no projection and no SQL."""
    if known_at:
        events = [e for e in events if e["reported_on"] <= known_at]
    standing = {e["id"]: True for e in events}
    for event in sorted(events, key=lambda e: e["seq"]):
        if event["supersedes"]:
            standing[event["supersedes"]] = False
        if event["retracts"]:
            standing[event["retracts"]] = False
            target = next((e for e in events if e["id"] == event["retracts"]), None)
            if target and target["supersedes"]:
                # the corrected event stands again unless something else replaced it since
                later = [e for e in events if e["seq"] > target["seq"] and e["seq"] < event["seq"]
                         and target["supersedes"] in (e["supersedes"], e["retracts"])]
                if not later:
                    standing[target["supersedes"]] = True
    best = {}
    for event in events:
        if not standing[event["id"]] or event["retracts"] or event["entity"] != entity:
            continue
        if as_of and event["valid_from"] > as_of:
            continue
        key = rules.state_key_of(event)
        if key is None:
            continue
        candidates = best.setdefault(key, [])
        candidates.append(event)
    return {key: max(c, key=lambda e: (e["valid_from"], e["valid_to"], e["reported_on"], e["seq"]))["id"]
            for key, c in best.items()}


@PROPERTY
@given(ops=operations, as_of=st.one_of(st.none(), day), known_at=st.one_of(st.none(), day))
def test_as_of_and_known_at_equal_a_brute_force_scan(ops, as_of, known_at):
    with tempfile.TemporaryDirectory() as directory:
        timeline = fresh_timeline(directory)
        run(timeline, ops)
        with timeline.engine.connect() as conn:
            events = loading.load_events(conn)
        for entity in ENTITIES:
            answer = timeline.state(entity, as_of=as_of, known_at=known_at).to_dict()["state"]
            expected = brute_force_state(events, entity, as_of, known_at)
            assert {key: entry["event"] for key, entry in answer.items()} == expected, json.dumps(answer)


CANNED = None


def canned_query(name):
    """The SQL of a canned query, as metadata.yml gives it to Datasette."""
    global CANNED
    if CANNED is None:
        import yaml
        from .conftest import ROOT
        CANNED = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["timeline"]["queries"]
    return CANNED[name]["sql"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, as_of=st.one_of(st.none(), day), known_at=st.one_of(st.none(), day))
def test_the_published_state_queries_give_the_python_answer(ops, as_of, known_at):
    """The canned queries read tables publish derives with timeline.rules: same answer as Timeline.state."""
    import sqlite3
    from timeline.web.plugin import prepare_connection
    with tempfile.TemporaryDirectory() as directory:
        timeline = fresh_timeline(directory)
        run(timeline, ops)
        out = Path(directory) / "site.db"
        timeline.publish(out)
        conn = sqlite3.connect(out)
        prepare_connection(conn)
        try:
            for entity, name in (("acme", "ACME"), ("globex", " globex holdings "), ("initech", "Initech Corp.")):
                expected = {key: entry.event for key, entry in timeline.state(entity, as_of=as_of, known_at=known_at).state.items()}
                sql = canned_query("known_at" if known_at else "state_as_of")
                rows = conn.execute(sql, {"entity": name, "as_of": as_of or "", "known_at": known_at or ""}).fetchall()
                assert {row[1]: row[5] for row in rows} == expected
                assert {row[0] for row in rows} <= {entity}
        finally:
            conn.close()
