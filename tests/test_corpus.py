"""The curated ECARX corpus, read as a user would read it."""
import json

import pytest

from .conftest import ROOT, SEEDS, Cli

EVENTS = ROOT / "events"

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS} (shared/ beside the repo)")


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    cli = Cli(tmp_path_factory.mktemp("corpus") / "timeline.db")
    cli.ok("init")
    report = cli.ok("import", EVENTS).strip()
    assert report.startswith("added ") and "3 sources" in report
    return cli


@needs_seeds
def test_every_quote_occurs_verbatim_in_its_document(corpus_db):
    out = corpus_db.ok("check-quotes", EVENTS, "--documents", SEEDS)
    assert out.startswith("ok: ") and int(out.split()[1]) >= 150


def test_check_quotes_reports_a_miss(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "acme-q2-2025.txt").write_text("For the second quarter, total revenue was $155.6 million.")
    from .conftest import write_corpus
    events = write_corpus(tmp_path / "events")
    result = Cli(tmp_path / "unused.db")("check-quotes", events, "--documents", tmp_path / "docs")
    assert result.exit_code == 1
    assert "acme/2025-06-30/cash: quote not found verbatim in acme-q2-2025.txt" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == "Error: 4 of 4 quotes do not check"


def test_import_verifies_and_reimport_changes_nothing(corpus_db):
    assert corpus_db.ok("verify").startswith("ok: ")
    again = corpus_db.ok("import", EVENTS).strip()
    assert again.startswith("unchanged ") and "added" not in again


def test_every_source_is_fully_described(corpus_db):
    sources = {s["key"]: s for s in json.loads(corpus_db.ok("sources", "--json"))}
    assert len(sources) == 3
    for source in sources.values():
        assert source["title"] and source["published_on"] and source["sha256"] and source["note"]
        assert source["events"] >= 25
    call = next(s for s in sources.values() if s["document_type"] == "earnings_call")
    assert call["published_from"].startswith("2024-0") and "call date is not in the text" in call["note"]


def state(cli, *args):
    return json.loads(cli.ok("show", "ecarx", "--json", *args))["state"]


def test_ecarx_as_of_mid_2025(corpus_db):
    now = state(corpus_db, "--as-of", "2025-06-30")
    revenue = now["revenue/quarter"]
    assert (revenue["period"], revenue["value"], revenue["unit"]) == ("Q2 2025", 155600000, "USD")
    assert now["vehicles_cumulative"]["valid_to"] <= "2025-06-30"
    assert now["headquarters"]["value"] == "Singapore"


def test_ecarx_as_known_in_september_2024(corpus_db):
    then = state(corpus_db, "--known-at", "2024-09-01")
    revenue = then["revenue/quarter"]
    assert (revenue["period"], revenue["value"], revenue["unit"]) == ("Q2 2024", 1300000000, "CNY")
    assert then["vehicles_cumulative"]["value"] == 6900000
    assert then["headquarters[international]"]["value"] == "London"
    assert "headquarters" not in then  # the Singapore move was not yet public
    assert all(entry["reported_on"] <= "2024-09-01" for entry in then.values())


def test_lotus_investment_is_a_relationship_with_amount_and_shares(corpus_db):
    state_now = state(corpus_db)
    assert state_now["investment:lotus-technology"]["value"] == 23000000
    investments = json.loads(corpus_db.ok("log", "ecarx", "--kind", "investment", "--json"))
    attributes = [e["attributes"] for e in investments if e["counterparty"] == "lotus-technology"]
    assert any(a.get("shares", {}).get("amount") == 16788321 for a in attributes)
    assert any(a.get("price_per_share") == {"amount": 1.37, "unit": "USD"} for a in attributes)
    from timeline import database, schema
    import sqlalchemy as sa
    engine = database.connect(corpus_db.db)
    with engine.connect() as conn:
        roles = {(r.entity, r.counterparty, r.role) for r in conn.execute(sa.select(schema.relationships))}
    assert ("ecarx", "lotus-technology", "investee") in roles
    assert ("lotus-technology", "ecarx", "investor") in roles


def test_quarterly_revenue_history_lists_every_reported_period(corpus_db):
    history = json.loads(corpus_db.ok("history", "ecarx", "revenue", "--json"))
    quarters = {h["period"] for h in history if h["precision"] == "quarter"}
    assert {"Q2 2024", "Q2 2025"} <= quarters
    assert all(h["amount"] is not None for h in history)


def test_every_entity_has_a_type_and_every_event_entity_exists(corpus_db):
    entities = {e["key"]: e for e in json.loads(corpus_db.ok("entities", "--json"))}
    for key in ("ecarx", "lotus-technology", "geely-holding", "volvo-cars", "polestar", "smart", "lynk-and-co",
                "zeekr", "faw-group", "li-shufu", "ziyu-shen", "antora", "makalu", "fuyang-factory", "pikes",
                "cloudpeak", "google-automotive-services"):
        assert key in entities, key
    assert "ECX" in entities["ecarx"]["aliases"]
    assert entities["antora"]["parent"] == "ecarx"
