"""The curated corpora, read as a user would read them.

The first corpus (ECARX and the companies around it) cites the seed documents
in shared/seeds; the second (suppliers and automakers) cites public pages kept
in a git-ignored documents/ folder: their quotes are checked wherever that
folder is present, and every source keeps the sha256 of its text so anyone
holding the document can check them.
"""
import hashlib
import json

import pytest
import yaml

from .conftest import ROOT, SEEDS, Cli

EVENTS = ROOT / "events"
DOCUMENTS = ROOT / "documents"

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS} (shared/ beside the repo)")


def bundles():
    """{bundle path: its source mapping} for every source bundle in events/."""
    found = {}
    for path in sorted(EVENTS.glob("*.yml")):
        if path.name != "entities.yml":
            found[path] = yaml.safe_load(path.read_text(encoding="utf-8"))["source"]
    return found


def seed_digests():
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in SEEDS.glob("*.txt")} if SEEDS.is_dir() else set()


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    cli = Cli(tmp_path_factory.mktemp("corpus") / "timeline.db")
    cli.ok("init")
    report = cli.ok("import", EVENTS).strip()
    assert report.startswith("added ") and f"{len(bundles())} sources" in report
    return cli


@needs_seeds
def test_every_quote_of_the_first_corpus_occurs_verbatim_in_its_seed(corpus_db):
    seeded = [path for path, source in bundles().items() if source.get("sha256") in seed_digests()]
    assert len(seeded) == 3
    out = corpus_db.ok("check-quotes", *seeded, "--documents", SEEDS)
    assert out.startswith("ok: ") and int(out.split()[1]) >= 150


@pytest.mark.skipif(not DOCUMENTS.is_dir(), reason="documents/ (the second corpus's texts, not redistributed) is not here")
def test_every_quote_of_the_second_corpus_occurs_verbatim_in_its_document(corpus_db):
    others = [path for path, source in bundles().items() if source.get("sha256") not in seed_digests()]
    out = corpus_db.ok("check-quotes", *others, "--documents", DOCUMENTS)
    assert out.startswith("ok: ") and int(out.split()[1]) >= 100


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
    assert len(sources) == len(bundles()) >= 19
    for source in sources.values():
        assert source["title"] and source["published_on"] and source["sha256"] and source["note"], source["key"]
        assert source["document_type"], source["key"]
        if source["sha256"] not in seed_digests():  # the second corpus is public pages: each has its address
            assert source["url"] and source["publisher"], source["key"]
        assert source["events"] >= 5, source["key"]
    types = {s["document_type"] for s in sources.values()}
    assert {"news", "press_release", "earnings_call"} <= types
    call = next(s for s in sources.values() if s["key"] == "ecarx-q2-2024-earnings-call")
    assert call["published_from"].startswith("2024-0") and "call date is not in the text" in call["note"]


def test_the_second_corpus_covers_other_companies(corpus_db):
    """At least three companies besides ECARX and Lotus Technology, from at least ten documents."""
    events = json.loads(corpus_db.ok("log", "--json"))
    seeded = {source["key"] for source in bundles().values() if source.get("sha256") in seed_digests()}
    others = [e for e in events if e["source_key"] not in seeded] if seeded else []
    if SEEDS.is_dir():
        assert len({e["source_key"] for e in others}) >= 8
        companies = {e["entity"] for e in others} - {"ecarx", "lotus-technology"}
        assert len(companies) >= 3


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
