"""The curation loop: events/ is the reviewable form of the log.

`timeline export --bundles events/` writes the whole log as the bundles
`import` reads; a fresh `init` + `import events/` rebuilds the same chain and
the same published content, and writing back again is a fixed point.
"""
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from timeline import Timeline, TimelineError

from .conftest import Cli, write_corpus


def fresh(directory, name="timeline.db"):
    return Timeline.init(str(Path(directory) / name))


def rebuilt_from(folder, directory):
    """A new database built from `folder` as `make build` builds one."""
    timeline = fresh(directory, "rebuilt.db")
    timeline.import_paths([folder])
    return timeline


def published(timeline, path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    timeline.publish(path)
    return Path(path).read_bytes()


def test_write_back_then_rebuild_gives_the_same_chain_and_the_same_published_file(tmp_path, monkeypatch):
    live = fresh(tmp_path)
    live.import_paths([write_corpus(tmp_path / "events")])
    live.add_entity("umbrella", name="Umbrella Corp.", type="company", aliases=["UMB"])
    live.add_entity("acme", aliases=["Acme Motors"])  # an alias recorded after its entity
    live.add_metric("order_backlog_units", "Order backlog", "count", "stock", words=["backlog of orders"])
    live.add("umbrella", "launch", "August 2025", "Umbrella launched Hive.", "Umbrella launched Hive.",
             "acme-q2-2025", attrs=["product=Hive"])
    live.correct("acme/2025-q2/revenue", "misread", attrs=["revenue=155.7 million USD"],
                 summary="Acme reported Q2 2025 revenue of US$155.7 million.")
    live.retract("acme/2025-08/globex-investment", "never signed")
    written = live.write_back(tmp_path / "events")
    assert sorted(written.written) == ["acme-q2-2025.yml", "entities.yml", "metrics.yml"]

    rebuilt = rebuilt_from(tmp_path / "events", tmp_path)
    assert rebuilt.head() == live.head()
    assert rebuilt.export() == live.export()  # every row, recording times and ids included
    assert published(rebuilt, tmp_path / "a.db", monkeypatch) == published(live, tmp_path / "b.db", monkeypatch)
    before = {p.name: p.read_bytes() for p in (tmp_path / "events").iterdir()}
    assert rebuilt.write_back(tmp_path / "events").written == []
    assert {p.name: p.read_bytes() for p in (tmp_path / "events").iterdir()} == before


def test_a_fact_added_by_cli_is_a_small_diff_and_survives_the_next_import(tmp_path):
    cli = Cli(tmp_path / "timeline.db")
    cli.ok("init")
    events = write_corpus(tmp_path / "events")
    cli.ok("import", events)
    cli.ok("export", "--bundles", events)
    before = (events / "acme-q2-2025.yml").read_text(encoding="utf-8")
    cli.ok("add", "--entity", "acme", "--kind", "launch", "--date", "October 2025", "--attr", "product=Hive",
           "--source", "acme-q2-2025", "--summary", "Acme launched Hive.", "--quote", "Acme launched Hive.")
    assert "the database holds 1 event that" in cli.ok("status", events)
    assert cli.ok("export", "--bundles", events).startswith("wrote 1 files to")
    after = (events / "acme-q2-2025.yml").read_text(encoding="utf-8")
    assert after.startswith(before)  # appended, nothing else touched
    added = after[len(before):]
    assert added.startswith("- id: acme/2025-10/launch\n") and "  seq: 5\n" in added and "recorded_at:" in added
    assert cli.ok("status", events).startswith(f"{events} and the database hold the same 5 events")
    assert cli.ok("import", events).startswith("unchanged")


def test_hand_written_bundles_still_import_and_are_stamped(tmp_path):
    timeline = fresh(tmp_path)
    report = timeline.import_paths([write_corpus(tmp_path / "events")])
    assert report.added["events"] == 4
    assert all(entry.recorded_at for entry in timeline.log())


def test_write_back_refuses_to_drop_events_the_folder_holds_but_the_database_lacks(tmp_path):
    events = write_corpus(tmp_path / "events")
    timeline = fresh(tmp_path)
    timeline.add_entity("acme", name="Acme Motors Inc.", type="company")
    before = {p.name: p.read_bytes() for p in events.iterdir()}
    with pytest.raises(TimelineError, match=r"holds 4 events the database lacks \(acme/2025-04/headquarters, "
                                            r"acme/2025-06-30/cash, acme/2025-08/globex-investment, …\): "
                                            r"import them first"):
        timeline.write_back(events)
    assert {p.name: p.read_bytes() for p in events.iterdir()} == before
    assert "acme-q2-2025.yml" in {p.name for p in events.iterdir()}
    written = timeline.write_back(events, force=True)
    assert written.written == ["entities.yml"]  # the log's own files; a bundle of a source it lacks stays as it was
    assert (events / "acme-q2-2025.yml").read_bytes() == before["acme-q2-2025.yml"]


@pytest.mark.parametrize("recorded_at, message", [
    ("yesterday", "recorded_at 'yesterday' is not a UTC time like 2026-11-30T12:00:00.000000Z"),
    ("2025-02-30T00:00:00Z", "recorded_at '2025-02-30T00:00:00Z' is not a real time"),
    ("2999-01-01T00:00:00Z", "recorded_at 2999-01-01T00:00:00Z is in the future"),
    ("2025-01-01T00:00:00Z" + "0" * 1000, "is not a UTC time"),
])
def test_a_bad_recording_time_is_one_error_and_changes_nothing(tmp_path, recorded_at, message):
    events = write_corpus(tmp_path / "events")
    bundle = events / "acme-q2-2025.yml"
    bundle.write_text(bundle.read_text().replace("  quote: Acme will acquire", f"  recorded_at: '{recorded_at}'\n  quote: Acme will acquire"))
    cli = Cli(tmp_path / "timeline.db")
    cli.ok("init")
    before = cli.ok("export")
    result = cli("import", events)
    assert result.exit_code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert cli.ok("export") == before


# ---- a property: any log written back and rebuilt is the same log ----

ENTITIES = ["acme", "globex", "initech"]
operations = st.lists(st.one_of(
    st.tuples(st.just("event"), st.sampled_from(ENTITIES), st.integers(1, 12), st.integers(1, 10**9)),
    st.tuples(st.just("correct"), st.integers(min_value=0)),
    st.tuples(st.just("retract"), st.integers(min_value=0)),
    st.tuples(st.just("entity"), st.integers(0, 50)),
    st.tuples(st.just("alias"), st.sampled_from(ENTITIES), st.integers(0, 50)),
    st.tuples(st.just("metric"), st.integers(0, 50)),
    st.tuples(st.just("source"), st.integers(0, 50)),
), min_size=1, max_size=15)


def apply(timeline, ops):
    sources = ["acme-q2-2025"]
    for n, op in enumerate(ops):
        standing = [e for e in timeline.log() if e.status == "current" and not e.retracts]
        try:
            if op[0] == "event":
                _, entity, month, amount = op
                timeline.add(entity, "financial_result", f"2025-{month:02d}", "A figure.", "A figure.", sources[-1],
                             id=f"{entity}/gen-{n}", attributes={"metric": "revenue",
                                                                 "value": {"amount": amount, "unit": "USD"}})
            elif op[0] == "correct" and standing:
                target = standing[op[1] % len(standing)]
                timeline.correct(target.event_id, "restated", summary=f"Corrected {n}.")
            elif op[0] == "retract" and standing:
                timeline.retract(standing[op[1] % len(standing)].event_id, "withdrawn")
            elif op[0] == "entity":
                timeline.add_entity(f"new-{op[1]}", name=f"New {op[1]}", type="company")
            elif op[0] == "alias":
                timeline.add_entity(op[1], aliases=[f"{op[1]} alias {op[2]}"])
            elif op[0] == "metric":
                timeline.add_metric(f"metric_{op[1]}", f"Metric {op[1]}", "count", "flow")
            elif op[0] == "source":
                key = f"source-{op[1]}"
                timeline.add_source(key, f"Source {op[1]}", "2025-10-01")
                sources.append(key)
        except TimelineError:
            pass  # a generated mistake (an entity twice, a metric again…) changes nothing


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_any_log_written_back_and_rebuilt_is_the_same_log(ops):
    with tempfile.TemporaryDirectory() as directory:
        live = fresh(directory)
        live.import_paths([write_corpus(Path(directory) / "events")])
        apply(live, ops)
        live.write_back(Path(directory) / "events")
        rebuilt = rebuilt_from(Path(directory) / "events", directory)
        assert rebuilt.head() == live.head()
        assert rebuilt.export() == live.export()
        again = Path(directory) / "again"
        rebuilt.write_back(again)
        for path in (Path(directory) / "events").iterdir():
            assert (again / path.name).read_bytes() == path.read_bytes(), path.name
