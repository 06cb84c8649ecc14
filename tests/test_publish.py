"""`timeline publish`: the read-only SQLite file Datasette serves and readers download.

The log is a small synthetic one written here (tests never read events/): three
entities, two sources, a quarterly revenue series, a correction, a retraction
and a summary holding a script tag.  `build_log` and `publish_log` are shared
with test_web.py and test_browser.py.
"""
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from timeline import publish, queries
from timeline.cli import cli as timeline_cli

ENTITIES_YAML = """\
entities:
- key: nova
  name: Nova Motors Inc.
  type: company
  aliases: [NOVA, Nova Motors, 诺瓦汽车]
  note: A carmaker that exists only in these tests.
- key: orbit
  name: Orbit Capital
  type: company
  aliases: [Orbit]
- key: nova-cockpit
  name: Nova cockpit platform
  type: product
  parent: nova
"""

SCRIPT_SUMMARY = "<script>window.__pwned = 1</script>Nova's <b>escaping</b> note & more"
SCRIPT_QUOTE = '<img src=x onerror="window.__pwned = 2">quoted markup'

BUNDLE_YAML = """\
source:
  key: nova-q2-2025
  title: Nova reports second quarter 2025 results
  publisher: Nova Motors
  url: https://example.com/nova-q2-2025
  published_on: "2025-09-08"
  document_type: press_release
  language: en
events:
- id: nova/2024-q3/revenue
  entity: nova
  kind: financial_result
  date: Q3 2024
  summary: Nova reported Q3 2024 revenue of US$120 million.
  attributes: {metric: revenue, value: {amount: 120000000, unit: USD}}
  quote: Revenue for the third quarter of 2024 was $120.0 million.
- id: nova/2024-q4/revenue
  entity: nova
  kind: financial_result
  date: Q4 2024
  summary: Nova reported Q4 2024 revenue of US$140 million.
  attributes: {metric: revenue, value: {amount: 140000000, unit: USD}}
  quote: Revenue for the fourth quarter of 2024 was $140.0 million.
- id: nova/2025-q1/revenue
  entity: nova
  kind: financial_result
  date: Q1 2025
  summary: Nova reported Q1 2025 revenue of US$150 million.
  attributes: {metric: revenue, value: {amount: 150000000, unit: USD}}
  quote: Revenue for the first quarter of 2025 was $150.0 million.
- id: nova/2025-q2/revenue
  entity: nova
  kind: financial_result
  date: the second quarter
  date_note: the quarter the results release covers
  summary: Nova reported Q2 2025 revenue of US$155.6 million.
  attributes: {metric: revenue, value: {amount: 155600000, unit: USD}}
  quote: For the second quarter, total revenue was $155.6 million.
- id: nova/2024-01/headquarters
  entity: nova
  kind: headquarters
  date: January 2024
  summary: Nova was headquartered in Shanghai.
  attributes: {location: Shanghai}
  quote: Nova kept its headquarters in Shanghai from January 2024.
- id: nova/2025-04/headquarters
  entity: nova
  kind: headquarters
  date: April 2025
  summary: Nova moved its headquarters to Singapore.
  attributes: {location: Singapore}
  quote: In April 2025 Nova moved its headquarters to Singapore.
- id: nova/2025-08/orbit-investment
  entity: nova
  counterparty: orbit
  kind: investment
  date: August 2025
  summary: Nova invested US$23 million in Orbit Capital.
  attributes: {amount: {amount: 23000000, unit: USD}}
  quote: Nova will invest US$23 million in Orbit Capital.
- id: nova/2025-q2/shipments
  entity: nova
  kind: operating_metric
  date: Q2 2025
  summary: Nova shipped 135,000 cockpit units in Q2 2025.
  attributes: {metric: shipments, value: {amount: 135000, unit: units}}
  quote: Shipments reached 135,000 units during the quarter.
- id: nova/2025-06/cockpit-launch
  entity: nova
  kind: launch
  date: June 2025
  summary: Nova launched its cockpit platform.
  attributes: {product: Nova cockpit platform}
  quote: In June Nova launched the Nova cockpit platform.
- id: nova/2025-07/orbit-partnership
  entity: nova
  counterparty: orbit
  kind: partnership
  date: July 2025
  summary: Nova and Orbit Capital agreed a financing partnership.
  attributes: {scope: financing}
  quote: Nova and Orbit signed a financing partnership in July.
- id: nova/2025-09-08/escaping
  entity: nova
  kind: note
  date: "2025-09-08"
  summary: {script_summary}
  attributes: {topic: escaping}
  quote: {script_quote}
""".replace("{script_summary}", '"' + SCRIPT_SUMMARY.replace('"', '\\"') + '"') \
   .replace("{script_quote}", "'" + SCRIPT_QUOTE + "'")

CORRECTION_SOURCE = ("nova-10q-2025-q2", "Nova 10-Q for the second quarter of 2025",
                     "https://example.com/nova-10q-2025-q2", "2025-10-15")
CORRECTED = "nova/2025-q2/revenue"
RETRACTED = "nova/2025-07/orbit-partnership"


def run(db, *args):
    return CliRunner().invoke(timeline_cli, ["--db", str(db), *map(str, args)])


def ok(db, *args):
    result = run(db, *args)
    assert result.exit_code == 0, f"timeline {' '.join(map(str, args))}:\n{result.output}"
    return result.output


def write_bundles(directory):
    events = Path(directory) / "events"
    events.mkdir(parents=True, exist_ok=True)
    (events / "entities.yml").write_text(ENTITIES_YAML, encoding="utf-8")
    (events / "nova-q2-2025.yml").write_text(BUNDLE_YAML, encoding="utf-8")
    return events


def build_log(directory, db=None):
    """The synthetic log, imported, corrected and retracted through the CLI; returns --db."""
    db = db or str(Path(directory) / "live.db")
    ok(db, "init")
    ok(db, "import", write_bundles(directory))
    key, title, url, published_on = CORRECTION_SOURCE
    ok(db, "source", "add", key, "--title", title, "--url", url, "--published-on", published_on,
       "--type", "filing", "--publisher", "Nova Motors")
    ok(db, "correct", CORRECTED, "--attr", "revenue=156.1 million USD",
       "--summary", "Nova restated Q2 2025 revenue as US$156.1 million.",
       "--quote", "Revenue for the second quarter was $156.1 million, as restated.",
       "--reason", "restated in the quarterly report", "--source", key)
    ok(db, "retract", RETRACTED, "--reason", "the partnership was never signed", "--source", key)
    return db


def publish_log(db, out):
    ok(db, "publish", out)
    return Path(out)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(live log path, published file path), shared by the read-only tests here."""
    directory = tmp_path_factory.mktemp("publish")
    db = build_log(directory)
    return Path(db), publish_log(db, directory / "timeline.db")


def connect(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def objects(conn, kind):
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}


# ---- what the file holds ----

def test_published_file_has_the_log_projections_views_and_search(built):
    _, out = built
    with connect(out) as conn:
        tables, views = objects(conn, "table"), objects(conn, "view")
        assert {"sources", "entities", "entity_aliases", "events", "event_status", "entity_state",
                "metric_history", "relationships", "publication", "event_periods", "state_values",
                "timeline_fts"} <= tables
        assert "alembic_version" not in tables
        assert {"timeline", "current_events", "entity_summary", "corrections"} <= views
        assert {"events_no_update", "events_no_delete", "sources_no_update"} <= objects(conn, "trigger")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 13
        statuses = dict(conn.execute("SELECT event_id, status FROM timeline").fetchall())
        assert statuses[CORRECTED] == "superseded" and statuses[RETRACTED] == "retracted"
        current = {r[0] for r in conn.execute("SELECT event_id FROM current_events")}
        assert CORRECTED not in current and RETRACTED not in current and f"{CORRECTED}/v2" in current
        assert not any(r.endswith("/retracted") for r in current)  # retractions are not facts
        periods = dict(conn.execute("SELECT e.id, p.period FROM events e JOIN event_periods p USING (seq)").fetchall())
        assert periods[CORRECTED] == "Q2 2025" and periods["nova/2024-01/headquarters"] == "Jan 2024"
        summary = conn.execute("SELECT * FROM entity_summary WHERE key = 'nova'").fetchone()
        assert summary["events"] == 13 and summary["standing_events"] == 10 and "NOVA" in summary["aliases"]
        changes = conn.execute("SELECT action, changed_event FROM corrections ORDER BY seq").fetchall()
        assert [tuple(c) for c in changes] == [("correction", CORRECTED), ("retraction", RETRACTED)]
    assert not Path(f"{out}-wal").exists() and not Path(f"{out}-journal").exists()


def test_full_text_index_covers_summaries_quotes_source_titles_and_names(built):
    _, out = built
    with connect(out) as conn:
        def search(query):
            return {r[0] for r in conn.execute(
                "SELECT t.event_id FROM timeline_fts f JOIN timeline t ON t.seq = f.rowid "
                "WHERE timeline_fts MATCH ?", (query,))}
        assert search("restated") == {f"{CORRECTED}/v2"}  # a summary
        assert search('"total revenue"') == {CORRECTED}  # a quote
        assert f"{RETRACTED}/retracted" in search('"10-Q"')  # a source title
        assert len(search("orbit")) >= 2  # entity and counterparty names, summaries
        assert search("shipments") == {"nova/2025-q2/shipments"}


def test_publication_record_matches_verify(built):
    _, out = built
    result = CliRunner().invoke(timeline_cli, ["verify", str(out)])
    assert result.exit_code == 0, result.output
    with connect(out) as conn:
        record = dict(conn.execute("SELECT * FROM publication").fetchone())
    assert result.output.strip() == f"ok: {record['event_count']} events, chain head {record['head_hash']}"
    assert record["event_count"] == 13 and record["entity_count"] == 3 and record["source_count"] == 2
    assert record["built_at"].endswith("Z") and record["schema_revision"] and record["timeline_version"]
    assert publish.read_publication(out) == record


def test_rows_are_the_live_rows(built):
    db, out = built
    live = sa.create_engine(f"sqlite:///{db}")
    published = sa.create_engine(f"sqlite:///{out}")
    from timeline import schema
    for table in schema.LOG_TABLES + schema.PROJECTIONS:
        order = [c for c in table.primary_key.columns]
        with live.connect() as a, published.connect() as b:
            rows_a = [tuple(r) for r in a.execute(sa.select(table).order_by(*order))]
            rows_b = [tuple(r) for r in b.execute(sa.select(table).order_by(*order))]
        assert rows_a == rows_b, table.name
    live.dispose(), published.dispose()


def test_published_copy_refuses_update_and_delete(built, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(built[1], copy)
    with sqlite3.connect(copy) as conn:
        for statement in ("UPDATE events SET summary = 'edited' WHERE seq = 1", "DELETE FROM events WHERE seq = 1"):
            with pytest.raises(sqlite3.IntegrityError, match="events are immutable"):
                conn.execute(statement)


def test_state_values_give_the_state_timeline_show_gives(built):
    _, out = built
    engine = sa.create_engine(f"sqlite:///{out}")
    with engine.connect() as conn:
        current = queries.state(conn, "nova").state
        rows = conn.execute(sa.text("SELECT key, event_id, display FROM state_values WHERE status = 'current'")).all()
    engine.dispose()
    winners = {}
    for key, event_id, display in rows:
        winners.setdefault(key, []).append(event_id)
    assert set(current) == set(winners)
    assert current["revenue/quarter"].event == f"{CORRECTED}/v2"
    assert any(display == "156,100,000 USD" for _, _, display in rows)


# ---- how it is written ----

def test_publish_is_deterministic(built, tmp_path, monkeypatch):
    db, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first, second = publish_log(db, tmp_path / "a.db"), publish_log(db, tmp_path / "b.db")
    assert publish.read_publication(first)["built_at"] == "2026-01-01T00:00:00Z"
    assert first.read_bytes() == second.read_bytes()


def test_publish_replaces_atomically_and_leaves_nothing_behind(built, tmp_path):
    db, published = built
    out = tmp_path / "site" / "timeline.db"
    out.parent.mkdir()
    empty = tmp_path / "empty.db"
    ok(empty, "init")
    publish_log(empty, out)  # an older publication, of another log
    assert publish.read_publication(out)["event_count"] == 0
    publish_log(db, out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["timeline.db"]
    assert publish.read_publication(out)["event_count"] == 13


# ---- publish never destroys what it did not write ----

def test_publish_refuses_the_live_database_even_with_force(tmp_path):
    db = build_log(tmp_path)
    before = Path(db).read_bytes()
    for args in ((), ("--force",)):
        result = run(db, "publish", db, *args)
        assert result.exit_code == 1
        assert result.output == f"Error: {db} is the database being published; publish to another file\n"
        assert Path(db).read_bytes() == before
    assert ok(db, "verify").startswith("ok: 13 events")


def test_publish_refuses_another_live_database_and_foreign_files_without_force(built, tmp_path):
    db, _ = built
    other = tmp_path / "other.db"
    ok(other, "init")
    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"my notes")
    for target, what in ((other, "a live timeline database"), (foreign, "a file timeline did not publish")):
        before = target.read_bytes()
        result = run(db, "publish", target)
        assert result.exit_code == 1
        assert result.output == (f"Error: {target} holds {what}; publish will not overwrite it "
                                 "(pass --force to replace it)\n")
        assert target.read_bytes() == before
        ok(db, "publish", target, "--force")
        assert publish.read_publication(target)["event_count"] == 13


def test_publish_refuses_a_symlink_without_force_and_then_replaces_the_link_only(built, tmp_path):
    db, _ = built
    target = tmp_path / "precious.txt"
    target.write_text("do not touch")
    link = tmp_path / "site.db"
    link.symlink_to(target)
    result = run(db, "publish", link)
    assert result.exit_code == 1 and "is a symbolic link" in result.output
    assert link.is_symlink() and target.read_text() == "do not touch"
    ok(db, "publish", link, "--force")
    assert not link.is_symlink() and publish.read_publication(link)["event_count"] == 13
    assert target.read_text() == "do not touch"


def test_publish_and_export_never_replace_a_device_or_pipe(built, tmp_path):
    import os
    db, _ = built
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (("publish", fifo), ("publish", fifo, "--force"), ("export", "-o", fifo),
                 ("export", "-o", fifo, "--force")):
        result = run(db, *args)
        assert result.exit_code == 1, args
        assert "is not a regular file" in result.output and len(result.output.splitlines()) == 1
        assert fifo.exists() and not fifo.is_file()


def test_export_refuses_to_overwrite_without_force(built, tmp_path):
    db, _ = built
    out = tmp_path / "log.jsonl"
    out.write_text("keep me")
    result = run(db, "export", "-o", out)
    assert result.exit_code == 1 and result.output == f"Error: {out} exists; pass --force to overwrite it\n"
    assert out.read_text() == "keep me"
    ok(db, "export", "-o", out, "--force")
    assert out.read_text().startswith('{"aliases"')
    missing = run(db, "export", "-o", tmp_path / "no" / "such" / "log.jsonl")
    assert missing.exit_code == 1 and missing.output.startswith("Error: cannot write") and len(missing.output.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_publish_cleans_up_what_a_killed_publish_left_behind(built, tmp_path):
    db, _ = built
    out = tmp_path / "timeline.db"
    dead = tmp_path / ".timeline.db.999999999.abc.building"  # no such process
    dead.write_bytes(b"half a file")
    (tmp_path / ".timeline.db.999999999.abc.building-journal").write_bytes(b"")
    publish_log(db, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timeline.db"]


def test_failed_publish_keeps_the_old_file(tmp_path):
    db = build_log(tmp_path)
    out = publish_log(db, tmp_path / "timeline.db")
    before = out.read_bytes()
    conn = sqlite3.connect(db)  # tamper with the live log behind the triggers' back
    with conn:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET summary = 'Nova made it all up.' WHERE seq = 3")
    conn.close()
    result = run(db, "publish", out)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the published file failed verification: chain broken at seq 3")
    assert len(result.output.strip().splitlines()) == 1
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events", "live.db", "timeline.db"]


def test_publish_errors_are_one_line(tmp_path):
    missing = run(tmp_path / "nothing.db", "publish", tmp_path / "out.db")
    assert missing.exit_code == 1 and missing.output.startswith("Error: no database at")
    db = tmp_path / "live.db"
    ok(db, "init")
    no_dir = run(db, "publish", tmp_path / "no" / "such" / "dir.db")
    assert no_dir.exit_code == 1 and "does not exist" in no_dir.output
    is_dir = run(db, "publish", tmp_path)
    assert is_dir.exit_code != 0
    assert not any(p.name.endswith(".building") for p in tmp_path.iterdir())


def test_an_empty_log_publishes_and_verifies(tmp_path):
    db = tmp_path / "empty.db"
    ok(db, "init")
    out = publish_log(db, tmp_path / "timeline.db")
    assert "ok: 0 events" in CliRunner().invoke(timeline_cli, ["verify", str(out)]).output


def test_staleness_follows_the_log(tmp_path):
    db = build_log(tmp_path)
    out = tmp_path / "timeline.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    assert publish.is_stale(engine, out)  # nothing published yet
    publish_log(db, out)
    assert not publish.is_stale(engine, out)
    ok(db, "add", "--entity", "orbit", "--kind", "note", "--date", "2025-10-01", "--summary", "Orbit said hi.",
       "--quote", "Hi.", "--source", "nova-q2-2025")
    assert publish.is_stale(engine, out)
    engine.dispose()


# ---- a downloaded copy that was tampered with fails verify ----

TAMPERING = {
    "edited summary": ["DROP TRIGGER events_no_update", "UPDATE events SET summary = 'edited' WHERE seq = 5"],
    "deleted last event": ["DROP TRIGGER events_no_delete", "DELETE FROM events WHERE seq = 13"],
    "edited projection": ["UPDATE entity_state SET value = '\"Paris\"' WHERE key = 'headquarters'"],
    "edited source": ["DROP TRIGGER sources_no_update", "UPDATE sources SET title = 'Other' WHERE id = 1"],
    "edited publication": ["UPDATE publication SET event_count = 12"],
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_verify_fails_on_a_tampered_copy(built, tmp_path, how):
    copy = tmp_path / "copy.db"
    shutil.copy(built[1], copy)
    with sqlite3.connect(copy) as conn:
        for statement in TAMPERING[how]:
            conn.execute(statement)
    result = CliRunner().invoke(timeline_cli, ["verify", str(copy)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")


# ---- the same log from any backend gives the same file ----

def test_same_rows_and_head_from_every_backend(built, db, tmp_path, monkeypatch):
    """`db` is a fresh database on each backend (conftest); PostgreSQL when available."""
    live, _ = built
    ok(live, "copy", "--to", db)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    from_sqlite = publish_log(live, tmp_path / "from-sqlite.db")
    from_backend = publish_log(db, tmp_path / "from-backend.db")
    dumps = []
    for path in (from_sqlite, from_backend):
        with sqlite3.connect(path) as conn:
            dumps.append(list(conn.iterdump()))
    assert dumps[0] == dumps[1]
    assert publish.read_publication(from_sqlite) == publish.read_publication(from_backend)
