"""The CLI as a user drives it: init, import, add, correct, retract, show,
log, history, export, verify — through click's runner and as a subprocess."""
import json

import pytest
import os
import subprocess
import sys
from pathlib import Path


from .conftest import Cli, write_corpus


def show(cli, *args):
    return json.loads(cli.ok("show", "acme", "--json", *args))["state"]


def test_import_then_reimport_reports_unchanged(cli, corpus):
    assert cli.ok("import", corpus).strip() == "added 4 entities, 2 aliases, 1 sources, 4 events"
    again = cli.ok("import", corpus).strip()
    assert again == "unchanged 4 entities, 1 sources, 4 events"
    assert cli.ok("verify").startswith("ok: 4 events")


def test_show_state_json_shape(loaded):
    result = json.loads(loaded.ok("show", "ACME", "--json"))
    assert result["entity"] == "acme" and result["as_of"] is None and result["known_at"] is None
    revenue = result["state"]["revenue/quarter"]
    assert revenue == {
        "value": 155600000, "unit": "USD", "qualifier": None,
        "valid_from": "2025-04-01", "valid_to": "2025-06-30", "precision": "quarter",
        "period": "Q2 2025", "date_text": "the second quarter", "reported_on": "2025-09-08",
        "event": "acme/2025-q2/revenue", "source": "acme-q2-2025",
    }
    assert result["state"]["headquarters"]["value"] == "Singapore"
    assert result["state"]["cash"]["valid_from"] == result["state"]["cash"]["valid_to"] == "2025-06-30"
    assert result["state"]["investment:globex"]["value"] == 23000000


def test_add_prints_derived_id_and_parses_quantities(loaded):
    new_id = loaded.ok("add", "--entity", "Acme", "--kind", "financial_result", "--date", "Q3 2025",
                       "--summary", "Acme revenue in Q3 2025.", "--quote", "Revenue was RMB1.3 billion.",
                       "--attr", "revenue=RMB1.3 billion", "--source", "acme-q2-2025",
                       "--reported-on", "2025-11-20").strip()
    assert new_id == "acme/2025-q3/revenue"
    revenue = show(loaded)["revenue/quarter"]
    assert (revenue["value"], revenue["unit"], revenue["event"]) == (1300000000, "CNY", new_id)


def test_add_cites_a_new_source_inline(loaded):
    new_id = loaded.ok("add", "--entity", "globex", "--kind", "listing", "--date", "2025-12-29",
                       "--summary", "Globex listed on Nasdaq.", "--quote", "Globex (Nasdaq: GBX)",
                       "--attr", "exchange=NASDAQ", "--attr", "ticker=GBX",
                       "--source-url", "https://example.com/globex", "--source-title", "Globex lists",
                       "--published-on", "2025-12-29").strip()
    assert new_id == "globex/2025-12-29/listing"
    assert "globex-lists-2025-12-29" in loaded.ok("sources")


def test_correction_supersedes_and_the_old_row_stays(loaded):
    new_id = loaded.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=155.7 million USD", "--summary", "Acme reported Q2 2025 revenue of US$155.7 million.",
                       "--reason", "the release was misread").strip()
    assert new_id == "acme/2025-q2/revenue/v2"
    assert show(loaded)["revenue/quarter"]["value"] == 155700000
    log = {row["event_id"]: row for row in json.loads(loaded.ok("log", "acme", "--json"))}
    assert log["acme/2025-q2/revenue"]["status"] == "superseded"
    assert log["acme/2025-q2/revenue"]["changed_by"] == new_id
    assert log[new_id]["supersedes"] == "acme/2025-q2/revenue"
    assert log[new_id]["attributes"]["change_yoy"] == {"amount": -10, "unit": "percent"}
    history = json.loads(loaded.ok("history", "acme", "revenue", "--json"))
    assert [(h["amount"], h["status"], h["latest"]) for h in history] == [
        (155600000, "superseded", False), (155700000, "current", True)]
    assert loaded.ok("verify").startswith("ok: 5 events")


def test_retraction_removes_from_state_and_restores_a_corrected_event(loaded):
    v2 = loaded.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=1 USD", "--keep-summary", "--reason", "test").strip()
    retraction = loaded.ok("retract", v2, "--reason", "the correction was wrong").strip()
    assert retraction == "acme/2025-q2/revenue/retracted"
    assert show(loaded)["revenue/quarter"]["value"] == 155600000
    loaded.ok("retract", "acme/2025-04/headquarters", "--reason", "not in the source")
    assert "headquarters" not in show(loaded)
    statuses = {r["event_id"]: r["status"] for r in json.loads(loaded.ok("log", "--json"))}
    assert statuses["acme/2025-04/headquarters"] == "retracted"
    assert loaded.ok("verify").startswith("ok: 7 events")


def test_as_of_uses_valid_time(loaded):
    assert set(show(loaded, "--as-of", "2025-03-31")) == set()
    assert set(show(loaded, "--as-of", "2025-04-15")) == {"revenue/quarter", "headquarters"}
    assert "investment:globex" in show(loaded, "--as-of", "2025-08-01")


def test_known_at_ignores_later_reports_and_later_corrections(loaded):
    loaded.ok("source", "add", "acme-restatement", "--title", "Acme restates Q2", "--published-on", "2025-11-01")
    loaded.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=150 million USD", "--summary", "Acme reported Q2 2025 revenue of US$150 million.",
              "--reason", "restated by the company", "--source", "acme-restatement",
              "--quote", "Q2 2025 revenue is restated to $150 million.")
    assert show(loaded, "--known-at", "2025-09-07") == {}
    assert show(loaded, "--known-at", "2025-09-08")["revenue/quarter"]["value"] == 155600000
    assert show(loaded, "--known-at", "2025-10-31")["revenue/quarter"]["value"] == 155600000
    assert show(loaded, "--known-at", "2025-11-01")["revenue/quarter"]["value"] == 150000000
    assert show(loaded)["revenue/quarter"]["value"] == 150000000


def test_fuzzy_publication_counts_from_the_end_of_its_span(loaded):
    loaded.ok("source", "add", "acme-call", "--title", "Acme call", "--published-on", "August 2024")
    loaded.ok("add", "--entity", "acme", "--kind", "operating_metric", "--date", "the second quarter",
              "--summary", "Acme shipped 10 units.", "--quote", "We shipped 10 units.",
              "--attr", "shipments=10 units", "--source", "acme-call")
    assert "shipments/quarter" not in show(loaded, "--known-at", "2024-08-30")
    shipped = show(loaded, "--known-at", "2024-08-31")["shipments/quarter"]
    assert (shipped["period"], shipped["reported_on"]) == ("Q2 2024", "2024-08-31")


def test_fiscal_year_end_shapes_fy_dates(loaded):
    loaded.ok("add", "--entity", "initech", "--kind", "financial_result", "--date", "FY2025",
              "--summary", "Initech FY2025 revenue.", "--quote", "FY2025 revenue was $5 million.",
              "--attr", "revenue=5 million USD", "--source", "acme-q2-2025")
    state = json.loads(loaded.ok("show", "initech", "--json"))["state"]["revenue/year"]
    assert (state["valid_from"], state["valid_to"]) == ("2024-04-01", "2025-03-31")


def test_entity_add_appends_aliases(loaded):
    assert loaded.ok("entity", "add", "acme", "--alias", "亿咖通科技").strip() == "added 1 aliases; unchanged 1 entities"
    assert json.loads(loaded.ok("show", "亿咖通科技", "--json"))["entity"] == "acme"
    entities = {e["key"]: e for e in json.loads(loaded.ok("entities", "--json"))}
    assert "亿咖通科技" in entities["acme"]["aliases"]
    assert entities["rocket"]["parent"] == "acme"


def test_kinds_lists_the_vocabulary(cli):
    out = cli.ok("kinds")
    for kind in ("launch", "investment", "funding", "acquisition", "certification", "facility_opening",
                 "financial_result", "operating_metric", "contract_win", "design_win", "partnership",
                 "customer", "guidance", "headquarters", "leadership", "ownership", "founding", "listing",
                 "award", "note"):
        assert f"\n{kind} " in "\n" + out
    financial = json.loads(cli.ok("kinds", "--json"))["financial_result"]
    assert (financial["required"], financial["one_of"]) == (["metric"], ["value", "outcome", "change_yoy", "change_qoq"])


def test_parse_date_json(cli):
    out = cli.ok("parse-date", "the second quarter", "--base", "2025-09-08", "--json")
    assert json.loads(out) == {"text": "the second quarter", "valid_from": "2025-04-01",
                               "valid_to": "2025-06-30", "precision": "quarter"}
    result = cli("parse-date", "Q5 2025")
    assert result.exit_code == 1 and result.stderr.startswith("Error:")


def test_export_jsonl_keys_and_csv(loaded):
    lines = [json.loads(line) for line in loaded.ok("export").splitlines()]
    events = [line for line in lines if line["record"] == "event"]
    assert len(events) == 4
    for key in ("id", "seq", "entity", "counterparty", "kind", "date_text", "valid_from", "valid_to",
                "precision", "reported_on", "recorded_at", "summary", "attributes", "source", "quote",
                "supersedes", "retracts", "reason", "hash"):
        assert key in events[0]
    assert set(events[0]["source"]) >= {"key", "title", "publisher", "url", "published_on"}
    csv_text = loaded.ok("export", "--format", "csv")
    assert csv_text.splitlines()[0].startswith("id,seq,entity")
    assert len(csv_text.strip().splitlines()) == 5


def test_export_then_import_reproduces_the_chain(loaded, tmp_path):
    loaded.ok("correct", "acme/2025-q2/revenue", "--attr", "revenue=155.7 million USD", "--summary", "Acme reported Q2 2025 revenue of US$155.7 million.", "--reason", "typo")
    export = tmp_path / "log.jsonl"
    loaded.ok("export", "-o", export)
    copy = Cli(tmp_path / "copy.db")
    copy.ok("init")
    assert copy.ok("import", export).strip() == "added 4 entities, 2 aliases, 1 sources, 5 events"
    assert copy.ok("verify") == loaded.ok("verify")
    assert copy.ok("export") == loaded.ok("export")
    assert copy.ok("import", export).strip() == "unchanged 4 entities, 1 sources, 5 events"


def test_an_altered_export_is_refused(loaded, tmp_path):
    export = tmp_path / "log.jsonl"
    loaded.ok("export", "-o", export)
    export.write_text(export.read_text().replace("Singapore", "Paris"))
    copy = Cli(tmp_path / "copy.db")
    copy.ok("init")
    result = copy("import", export)
    assert result.exit_code == 1 and "chain broken at seq 3: the record does not match its hash" in result.stderr


def test_database_from_environment(tmp_path, monkeypatch, corpus):
    monkeypatch.setenv("TIMELINE_DB", str(tmp_path / "env.db"))
    from click.testing import CliRunner
    from timeline.cli import cli
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert CliRunner().invoke(cli, ["import", str(corpus)]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def run_timeline(*args, cwd):
    executable = Path(sys.executable).with_name("timeline")
    return subprocess.run([str(executable), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "TIMELINE_DB": "sub.db"}, timeout=120)


def test_subprocess_workflow_as_in_the_readme(tmp_path):
    write_corpus(tmp_path / "events")
    assert run_timeline("init", cwd=tmp_path).returncode == 0
    assert "added" in run_timeline("import", "events", cwd=tmp_path).stdout
    new = run_timeline("correct", "acme/2025-q2/revenue", "--attr", "revenue=155.7 million USD", "--summary", "Acme reported Q2 2025 revenue of US$155.7 million.",
                       "--reason", "typo", cwd=tmp_path)
    assert new.returncode == 0 and new.stdout.strip() == "acme/2025-q2/revenue/v2"
    shown = run_timeline("show", "acme", "--as-of", "2025-06-30", cwd=tmp_path)
    assert "155,700,000 USD" in shown.stdout and "Q2 2025" in shown.stdout
    assert run_timeline("verify", cwd=tmp_path).stdout.startswith("ok: 5 events")
    bad = run_timeline("show", "acmee", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: unknown entity 'acmee' — did you mean 'acme'?"
    usage = run_timeline("show", cwd=tmp_path)
    assert usage.returncode == 2 and usage.stderr.startswith("Error: Missing argument")
    assert len(usage.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("doctor, message", [
    (lambda lines: lines[:6] + lines[7:], "chain broken at seq 2: the record says seq 3"),           # an event deleted
    (lambda lines: lines[:-1], None),                                                                # the last deleted
    (lambda lines: lines[:5] + [lines[6], lines[5]] + lines[7:], "chain broken at seq 1: the record says seq 2"),
    (lambda lines: lines[:5] + [_relinked(lines[5])] + lines[6:], "chain broken at seq 1: prev_hash does not match"),
    (lambda lines: lines[:5] + [_without(lines[5], "hash")] + lines[6:], "chain broken at seq 1: the record has no hash"),
    (lambda lines: lines[:5] + [_with(lines[5], recorded_at="<not a time>")] + lines[6:],
     "recorded_at '<not a time>' is not a UTC time"),
    (lambda lines: lines[:5] + [_with(lines[5], recorded_at="2025-01-01T00:00:00Z" + "0" * 1000)] + lines[6:],
     "is not a UTC time"),
])
def test_a_hand_edited_export_is_refused_naming_the_seq(loaded, tmp_path, doctor, message):
    """entities (4), the source, then the 4 events: line 6 is seq 1."""
    lines = loaded.ok("export").splitlines()
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(doctor(lines)) + "\n", encoding="utf-8")
    fresh = Cli(tmp_path / "fresh.db")
    fresh.ok("init")
    before = fresh.ok("export")
    result = fresh("import", path)
    if message is None:  # an export cut at its end is a valid shorter log: what --expect-head is for
        assert result.exit_code == 0 and fresh.ok("verify").startswith("ok: 3 events")
        return
    assert result.exit_code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert fresh.ok("export") == before


def _with(line, **fields):
    import json
    return json.dumps({**json.loads(line), **fields}, ensure_ascii=False)


def _without(line, field):
    import json
    record = json.loads(line)
    record.pop(field)
    return json.dumps(record, ensure_ascii=False)


def _relinked(line):
    return _with(line, prev_hash="f" * 64)
