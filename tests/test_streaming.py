"""The streaming import (timeline/importing.py) gives the log the exact way gives.

The exact way reads every file in full and spools its events before adding
any (what an import falls back to, `Restart`, when a file's records cannot be
taken in the order they stream); the streaming way takes an export's events in
batches as it reads them, in this process or, for a large export, prepared by a
forked one (`_pipelined`).  Whatever the path, the database must hold the same
rows: same chain heads, same projections.  An error anywhere in a streamed
import leaves the database exactly as it was.

The synthetic logs come from bench/synth.py (deterministic), exported through
the CLI as a user would, so every record carries its chain and recorded_at
and two imports of the export can be compared row for row.
"""
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench import synth
from timeline import importing, writer as writing
from timeline.api import Timeline, bulk_allocation
from timeline.cli import cli as timeline_cli

from .conftest import ROOT, sqlite_dump

EVENTS = ROOT / "events"
SYNTH_EVENTS = 3000
CHAIN_FIELDS = ("seq", "prev_hash", "hash", "recorded_at")


def run(db, *args):
    return CliRunner().invoke(timeline_cli, ["--db", str(db), *map(str, args)])


def ok(db, *args):
    result = run(db, *args)
    assert result.exit_code == 0, f"timeline {' '.join(map(str, args))}:\n{result.output}"
    return result.stdout


def fresh(path):
    ok(path, "init")
    return path


def contents(path):
    """{table: sorted rows} of every table of a SQLite file: what two databases must agree on."""
    conn = sqlite3.connect(path)
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in tables}
    finally:
        conn.close()



def chain_head(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()


def import_exact(db, *paths):
    """The import the way a Restart takes it: every file read in full, its events spooled, then added."""
    timeline = Timeline.open(str(db))
    try:
        with bulk_allocation(), timeline._write() as writer:
            return importing.Importer(writer, exact=True).run(importing.inputs_for([str(p) for p in paths]))
    finally:
        timeline.engine.dispose()


@pytest.fixture(scope="module")
def synthetic_export(tmp_path_factory):
    """(export of a synthetic log, the contents of the log it came from)."""
    directory = tmp_path_factory.mktemp("synthetic")
    source = synth.write_jsonl(directory / "synth.jsonl", SYNTH_EVENTS, entities=60, seed=16)
    live = fresh(directory / "live.db")
    ok(live, "import", source)
    # a correction and a retraction recorded after the bulk, so old events' projections change late
    ok(live, "source", "add", "late-filing", "--title", "A late filing", "--url", "https://example.com/late",
       "--published-on", "2025-11-30", "--type", "filing", "--publisher", "Newswire")
    first, second = _two_standing_results(live)
    ok(live, "correct", first, "--attr", "value=1 million USD", "--summary", "Restated.",
       "--quote", "The figure was restated.", "--reason", "restated", "--source", "late-filing")
    ok(live, "retract", second, "--reason", "withdrawn", "--source", "late-filing")
    export = directory / "export.jsonl"
    ok(live, "export", "-o", export)
    return export, contents(live)


def _two_standing_results(db):
    conn = sqlite3.connect(db)
    try:
        return [event_id for (event_id,) in conn.execute(
            "SELECT e.id FROM events e JOIN event_status s ON s.seq = e.seq WHERE s.status = 'current' "
            "AND e.kind = 'financial_result' AND e.supersedes IS NULL AND e.retracts IS NULL "
            "AND e.entity NOT IN ('co-0000', 'co-0001') ORDER BY e.seq LIMIT 2")]
    finally:
        conn.close()


# ---- the same log whichever way it is read ----

def test_the_corpus_streamed_is_the_corpus_read_the_exact_way(tmp_path, monkeypatch):
    # YAML bundles stamp every row with the time of the import: pin it so the two can be compared
    monkeypatch.setattr(writing, "now_utc", lambda: "2026-01-01T00:00:00.000000Z")
    streamed, exact = fresh(tmp_path / "streamed.db"), fresh(tmp_path / "exact.db")
    ok(streamed, "import", EVENTS)
    import_exact(exact, EVENTS)
    assert chain_head(streamed) == chain_head(exact)
    assert contents(streamed) == contents(exact)
    # and its export, imported again, is the same log once more
    export = tmp_path / "corpus.jsonl"
    ok(streamed, "export", "-o", export)
    again = fresh(tmp_path / "again.db")
    ok(again, "import", export)
    assert contents(again) == contents(streamed)


@pytest.mark.parametrize("how", ["in-process", "pipelined", "pipelined, tiny batches"])
def test_an_export_streamed_is_the_log_it_came_from(synthetic_export, tmp_path, monkeypatch, how):
    export, original = synthetic_export
    if how == "in-process":
        monkeypatch.setattr(importing, "PIPELINE_BYTES", 1 << 40)
    else:  # a second process reads and prepares while this one inserts (when the machine has two CPUs)
        monkeypatch.setattr(importing, "PIPELINE_BYTES", 0)
    if "tiny" in how:
        # batches and messages end mid-entity, mid-document, between a correction and what it corrects
        monkeypatch.setattr(writing.Writer, "BATCH", 7)
        monkeypatch.setattr(importing, "PIPELINE_MESSAGE", 5)
    db = fresh(tmp_path / "streamed.db")
    assert "3002 events" in ok(db, "import", export)
    assert contents(db) == original


def test_an_export_read_the_exact_way_is_the_log_it_came_from(synthetic_export, tmp_path):
    export, original = synthetic_export
    db = fresh(tmp_path / "exact.db")
    import_exact(db, export)
    assert contents(db) == original


def test_tiny_batches_in_process_give_the_same_log(synthetic_export, tmp_path, monkeypatch):
    export, original = synthetic_export
    monkeypatch.setattr(importing, "PIPELINE_BYTES", 1 << 40)
    monkeypatch.setattr(writing.Writer, "BATCH", 1)
    db = fresh(tmp_path / "streamed.db")
    ok(db, "import", export)
    assert contents(db) == original


@pytest.fixture
def restarts(monkeypatch):
    """The `exact` flag of every Importer made: [False, True] is an import that streamed, then restarted."""
    made = []
    real = importing.Importer.__init__

    def noting(self, writer, progress=importing.SILENT, exact=False):
        made.append(exact)
        real(self, writer, progress, exact)

    monkeypatch.setattr(importing.Importer, "__init__", noting)  # only counts: the import runs as it does
    return made


def _records(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def _write_records(path, records):
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("late", ["entity", "source"])
def test_a_record_streaming_cannot_take_in_place_restarts_the_exact_way(synthetic_export, tmp_path, monkeypatch,
                                                                        restarts, late):
    """An entity, or a source carrying its recorded_at, after the export's events: the import starts again
    reading the file in full, and gives the log the exact way gives."""
    export, original = synthetic_export
    records = _records(export)
    if late == "entity":
        # the last entity moved to the end: reading every record first numbers it the same
        last = max(i for i, r in enumerate(records) if r["record"] == "entity")
        records.append(records.pop(last))
    else:
        # (a source its events cite must come before them, or the export's chain is broken)
        records.append({"record": "source", "key": "written-back-later", "title": "A source written back later",
                        "url": "https://example.com/later", "published_on": "2025-12-01",
                        "recorded_at": "2026-01-01T00:00:00.000000Z"})
    path = _write_records(tmp_path / "late.jsonl", records)
    if late == "source":
        import_exact(fresh(tmp_path / "exact.db"), path)
        original = contents(tmp_path / "exact.db")
        assert original["sources"][-1:] != contents(fresh(tmp_path / "empty.db"))["sources"]
    # with small batches, events that cite the late record fail (their batch committed) before it is read:
    # that error must not win over the restart reading on would have made (it did, and a pipelined
    # import died with "the process reading the export ended without a word")
    for pipelined, batch in ((False, 5000), (True, 5000), (False, 7), (True, 7)):
        restarts.clear()
        monkeypatch.setattr(importing, "PIPELINE_BYTES", 0 if pipelined else 1 << 40)
        monkeypatch.setattr(writing.Writer, "BATCH", batch)
        db = fresh(tmp_path / f"late-{pipelined}-{batch}.db")
        ok(db, "import", path)
        assert restarts == [False, True]  # streamed, then again the exact way
        assert contents(db) == original


def test_a_late_source_without_recorded_at_is_taken_in_place(tmp_path, monkeypatch, restarts):
    """A synthetic bundle names each document's source before its events: streamed in its turn, the log is
    the one reading every record first gives."""
    monkeypatch.setattr(writing, "now_utc", lambda: "2026-01-01T00:00:00.000000Z")
    monkeypatch.setattr(writing.Writer, "BATCH", 11)
    path = synth.write_jsonl(tmp_path / "synth.jsonl", 800, entities=20, seed=3)
    streamed, exact = fresh(tmp_path / "streamed.db"), fresh(tmp_path / "exact.db")
    for pipelined, db in ((False, streamed), (True, fresh(tmp_path / "pipelined.db"))):
        monkeypatch.setattr(importing, "PIPELINE_BYTES", 0 if pipelined else 1 << 40)
        ok(db, "import", path)
    assert restarts == [False, False]  # streamed to the end, no restart
    import_exact(exact, path)
    assert contents(streamed) == contents(exact) == contents(tmp_path / "pipelined.db")


# ---- bad input in the middle of a streamed import ----

def _spoiled(export, directory, line, how):
    lines = Path(export).read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[line - 1])
    assert record["record"] == "event"
    if how == "not JSON":
        lines[line - 1] = lines[line - 1][:40] + "\n"
    elif how == "invalid event":
        # without its chain (as a bundle written by hand or by bench/synth.py), so the chain check does
        # not catch the change first: the event itself is refused, in its turn
        lines = [json.dumps({k: v for k, v in json.loads(text).items() if k not in CHAIN_FIELDS},
                            ensure_ascii=False) + "\n" for text in lines]
        record = json.loads(lines[line - 1])
        record["kind"] = "no-such-kind"
        lines[line - 1] = json.dumps(record, ensure_ascii=False) + "\n"
    elif how == "chain broken":
        record["summary"] = record["summary"] + " (edited)"
        lines[line - 1] = json.dumps(record, ensure_ascii=False) + "\n"
    path = Path(directory) / f"spoiled-{how.replace(' ', '-')}.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("pipelined", [False, True], ids=["in-process", "pipelined"])
@pytest.mark.parametrize("how", ["not JSON", "invalid event", "chain broken"])
def test_bad_input_mid_stream_is_one_line_and_changes_nothing(synthetic_export, tmp_path, monkeypatch, how,
                                                              pipelined):
    export, _ = synthetic_export
    line = 2500  # thousands of events in: many batches already inserted when it is read
    path = _spoiled(export, tmp_path, line, how)
    monkeypatch.setattr(importing, "PIPELINE_BYTES", 0 if pipelined else 1 << 40)
    monkeypatch.setattr(writing.Writer, "BATCH", 100)
    db = fresh(tmp_path / "live.db")
    ok(db, "import", EVENTS)  # a log that already holds something
    before = sqlite_dump(db)
    result = run(db, "import", path)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert str(path.name) in lines[0]
    if how == "not JSON":
        assert f"line {line}" in lines[0]
    if how == "invalid event":
        assert "no-such-kind" in lines[0]
    assert sqlite_dump(db) == before
    # and nothing was left half-done: the log verifies and takes the good export afterwards
    ok(db, "verify")


# ---- on each backend (conftest's `db`: SQLite, and PostgreSQL when its binaries are here) ----

def test_an_export_streamed_into_each_backend_is_the_same_log(synthetic_export, db, tmp_path, monkeypatch):
    """Imported into each backend in small batches, the export publishes the file the log it came from
    publishes (the file holds every table of the log, projections included, row for row)."""
    export, _ = synthetic_export
    monkeypatch.setattr(writing.Writer, "BATCH", 250)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    ok(db, "import", export)
    reference = fresh(tmp_path / "reference.db")
    ok(reference, "import", export)
    ok(db, "publish", tmp_path / "from-backend.db")
    ok(reference, "publish", tmp_path / "reference-site.db")
    assert sqlite_dump(tmp_path / "from-backend.db") == sqlite_dump(tmp_path / "reference-site.db")


def test_bad_input_mid_stream_changes_nothing_on_each_backend(synthetic_export, db, tmp_path, monkeypatch):
    export, _ = synthetic_export
    monkeypatch.setattr(writing.Writer, "BATCH", 100)
    ok(db, "import", EVENTS)
    before = ok(db, "export")
    path = _spoiled(export, tmp_path, 2500, "invalid event")
    result = run(db, "import", path)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert ok(db, "export") == before
    ok(db, "verify")


def _renamed(records, suffix):
    """A synthetic log's records with ids and source keys of their own (two can go in one import)."""
    for record in records:
        record = dict(record)
        if record["record"] == "source":
            record["key"] += suffix
        elif record["record"] == "event":
            record["id"] += suffix
            for field in ("supersedes", "retracts"):
                if record.get(field):
                    record[field] += suffix
            if isinstance(record.get("source"), dict):
                record["source"] = {**record["source"], "key": record["source"]["key"] + suffix}
        yield record


@pytest.mark.parametrize("pipelined", [False, True], ids=["in-process", "pipelined"])
def test_two_files_with_late_sources_give_the_exact_ways_log(tmp_path, monkeypatch, restarts, pipelined):
    """The first file names sources after its events and the second names sources of its own: reading every
    file first numbers the first file's late sources before the second's, so the import restarts the exact
    way; the log is the exact way's."""
    monkeypatch.setattr(writing, "now_utc", lambda: "2026-01-01T00:00:00.000000Z")
    monkeypatch.setattr(importing, "PIPELINE_BYTES", 0 if pipelined else 1 << 40)
    monkeypatch.setattr(writing.Writer, "BATCH", 50)
    first = _write_records(tmp_path / "a.jsonl", _renamed(synth.records(600, entities=20, seed=1), "-a"))
    second = _write_records(tmp_path / "b.jsonl", _renamed(synth.records(600, entities=20, seed=2), "-b"))
    streamed, exact = fresh(tmp_path / "streamed.db"), fresh(tmp_path / "exact.db")
    ok(streamed, "import", first, second)
    assert restarts == [False, True]
    import_exact(exact, first, second)
    assert contents(streamed) == contents(exact)
    assert len(contents(streamed)["events"]) == sum(r["record"] == "event" for r in _records(first) + _records(second))
