"""`timeline draft`: documents -> draft bundles a curator reviews.

Every draft these tests produce goes through `make_draft`, which checks the
drafter's promises on it: each quote is a verbatim piece of the document of at
most 300 characters, each amount is written in its quote, each date is in its
quote unless a date_note and the review note say how it was inferred, ids are
unique, and the YAML reads back as the same bundle.

The documents here are written for the tests (a fictional Acme Motors); the
seed documents in /work/shared/seeds are drafted at the end, when present.
"""
import math
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from timeline.cli import cli as timeline_cli
from timeline.draft import draft_bundle, draft_file, strip_draft_marks, to_yaml
from timeline.draft.mentions import EntityIndex, load_index

from .conftest import SEEDS

ROOT = Path(__file__).resolve().parent.parent

ENTITIES_YAML = """\
entities:
- key: acme
  name: Acme Motors Inc.
  type: company
  aliases: [Acme, Acme Motors, 艾克美汽車]
- key: globex
  name: Globex Holdings
  type: company
  aliases: [Globex, GBX]
- key: orbit
  name: Orbit platform
  type: product
  aliases: [Orbit]
  parent: acme
- key: globex-nova
  name: Globex Nova
  type: product
  aliases: [Nova]
  parent: globex
- key: jane-doe
  name: Jane Doe
  type: person
- key: lotte-tech
  name: Lotte Tech
  type: company
  aliases: [LOT]
- key: smart
  name: smart
  type: brand
  aliases: [Smart]
- key: united-states
  name: United States
  type: market
  aliases: [US, U.S.]
- key: initech
  name: Initech Corp.
  type: company
  fiscal_year_end: "03-31"
"""


def entity_rows():
    rows = []
    for raw in yaml.safe_load(ENTITIES_YAML)["entities"]:
        rows.append({"fiscal_year_end": "12-31", "parent": None, **raw})
    return rows


INDEX = EntityIndex(entity_rows())

PRESS_RELEASE = """\
Acme Motors Reports Third Quarter 2025 Unaudited Financial Results

Revenue up 18%; Orbit platform shipments pass 50,000 units

HANGZHOU, China, Nov. 12, 2025 (GLOBE NEWSWIRE) -- Acme Motors Inc. (Nasdaq: ACMO), a maker of in-car \
computing platforms, today announced its unaudited financial results for the third quarter ended September 30, 2025.

Third Quarter 2025 Highlights:
- Total revenue was US$212.4 million, up 18% year-over-year.
- Gross margin was 24.1%, an increase of 1.2 percentage points sequentially.

Orbit platform shipments reached 52,300 units during the quarter, a 35% increase year-over-year.

"We delivered another quarter of growth," said Jane Doe, Chief Executive Officer of Acme.

During the quarter, Acme partnered with Globex Holdings to jointly develop cockpit software for the US market. \
In October 2025, Acme opened a new research and development center in Munich. Acme obtained ISO 26262 ASIL-D \
certification for the Orbit platform in August 2025.

Net loss was US$8.7 million, compared with a net loss of US$15.2 million in the same period last year. \
As of September 30, 2025, the Company had cash and cash equivalents of US$310.5 million.

Business Outlook

For the fourth quarter of 2025, the Company expects total revenue of approximately US$240 million.

About Acme Motors
Acme Motors Inc. was founded in 2014 by Jane Doe.
"""

TRANSCRIPT = """\
Operator
Good day, and welcome to the Acme Motors third quarter 2025 earnings conference call.
Jane Doe - Chief Executive Officer
Thank you, operator. Revenue for the quarter was $212.4 million, up 18% year-over-year. \
We now serve 14 automakers across 31 brands.
In September, we launched the Orbit platform in the Globex Nova SUV.
Mark Lee - Analyst
Thanks. What are you seeing on pricing? My first question is on margins.
Richard Roe - Chief Financial Officer
Sure. Gross margin was 24.1%, up from 22.9% last quarter. Last quarter, revenue was $198.1 million.
Mark Lee - Analyst
Very clear, thank you.
"""

INTERLEAVED = """\
Acme Motors second quarter 2025 earnings call
艾克美汽車 2025 年第二季財報電話會議
Revenue for the quarter was RMB1.3 billion, an increase of 31% year-over-year.
本季營收為人民幣13億元,年增31%。
In June, we partnered with Globex to develop new cockpit software.
6月,我們與Globex合作開發新的座艙軟體。
"""

UNDATED_ARTICLE = """\
Acme and Globex deepen ties

Acme Motors partnered with Globex Holdings to develop cockpit software, the companies said.
"""


# ---- the promises every draft keeps ----

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
SCALES = (1, 1e3, 1e4, 1e6, 1e8, 1e9, 1e12)  # as written, thousand, 萬, million, 億, billion, trillion


WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
         "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20, "thirty": 30, "fifty": 50, "hundred": 100, "a": 1}


def written_in(amount, quote):
    """Whether a proposed amount is one of the quote's numbers at some scale (digits, or words:
    "two projects", "a million chips")."""
    numbers = [float(n.replace(",", "")) for n in NUMBER.findall(quote)]
    numbers += [WORDS[w.lower()] for w in re.findall(r"[A-Za-z]+", quote) if w.lower() in WORDS]
    return any(math.isclose(abs(amount), n * scale, rel_tol=1e-9) for n in numbers for scale in SCALES)


def assert_honest(bundle, text):
    """The checks every draft passes; see the module docstring."""
    assert bundle["source"]["status"] == "draft"
    ids = [event["id"] for event in bundle["events"]]
    assert len(ids) == len(set(ids)), ids
    for event in bundle["events"]:
        assert event["review"].strip(), event["id"]
        assert event["quote"] in text, f"{event['id']}: quote not verbatim: {event['quote']!r}"
        assert 0 < len(event["quote"]) <= 300, event["id"]
        for name, value in event["attributes"].items():
            if isinstance(value, dict) and "amount" in value:
                assert written_in(value["amount"], event["quote"]), f"{event['id']}: {name} {value} not in its quote"
        if event["date"] not in event["quote"]:
            assert event.get("date_note"), f"{event['id']}: inferred date '{event['date']}' without a date_note"
            assert "the date:" in event["review"], f"{event['id']}: inferred date not flagged for review"
    assert yaml.safe_load(to_yaml(bundle)) == bundle


def make_draft(text, index=INDEX, **options):
    options.setdefault("source_key", "test-draft")
    bundle = draft_bundle(text, index=index, **options)
    assert_honest(bundle, text)
    return bundle


def by_id(bundle):
    return {event["id"]: event for event in bundle["events"]}


def events_of(bundle, kind):
    return [event for event in bundle["events"] if event["kind"] == kind]


def cli_run(*args):
    return CliRunner().invoke(timeline_cli, [str(a) for a in args])


@pytest.fixture
def database(tmp_path):
    """A fresh database holding the test entities; returns its path."""
    db = tmp_path / "timeline.db"
    entities = tmp_path / "entities.yml"
    entities.write_text(ENTITIES_YAML, encoding="utf-8")
    assert cli_run("--db", db, "init").exit_code == 0
    result = cli_run("--db", db, "import", entities)
    assert result.exit_code == 0, result.output
    return db


def import_reviewed(bundle, db, tmp_path, name="reviewed.yml"):
    """Import the bundle as a curator leaves it: draft marks removed."""
    path = tmp_path / name
    path.write_text(to_yaml(strip_draft_marks(bundle)), encoding="utf-8")
    return cli_run("--db", db, "import", path)


# ---- a press release ----

def test_press_release_date_comes_from_the_dateline():
    bundle = make_draft(PRESS_RELEASE)
    source = bundle["source"]
    assert source["published_on"] == "2025-11-12"
    assert source["document_type"] == "press_release"
    assert source["title"] == "Acme Motors Reports Third Quarter 2025 Unaudited Financial Results"
    assert "dateline" in source["note"] and "Q3 2025" in source["note"]


def test_press_release_figures_are_normalised_with_units_and_changes():
    events = by_id(make_draft(PRESS_RELEASE))
    revenue = events["acme/2025-q3/revenue"]
    assert revenue["attributes"] == {"metric": "revenue", "value": {"amount": 212400000, "unit": "USD"},
                                     "change_yoy": {"amount": 18, "unit": "percent"}}
    assert revenue["quote"] == "Total revenue was US$212.4 million, up 18% year-over-year."
    margin = events["acme/2025-q3/gross_margin"]["attributes"]
    assert margin["value"] == {"amount": 24.1, "unit": "percent"}
    assert margin["change_qoq"] == {"amount": 1.2, "unit": "percentage_points"}
    shipments = events["acme/2025-q3/shipments"]
    assert shipments["attributes"]["value"] == {"amount": 52300, "unit": "units"}
    assert shipments["attributes"]["product"] == "Orbit platform"
    assert events["acme/2025-09-30/cash"]["attributes"]["value"] == {"amount": 310500000, "unit": "USD"}


def test_list_items_take_their_date_from_the_list_introduction():
    revenue = by_id(make_draft(PRESS_RELEASE))["acme/2025-q3/revenue"]
    assert revenue["date"] == "Q3 2025"
    assert revenue["valid_from"] == "2025-07-01" and revenue["valid_to"] == "2025-09-30"
    assert "Third Quarter 2025 Highlights:" in revenue["date_note"]
    assert "the date:" in revenue["review"]


def test_the_quarter_is_the_reporting_period_and_says_so():
    shipments = by_id(make_draft(PRESS_RELEASE))["acme/2025-q3/shipments"]
    assert shipments["date"] == "during the quarter"
    assert (shipments["valid_from"], shipments["valid_to"], shipments["precision"]) == ("2025-07-01", "2025-09-30", "quarter")
    assert "reporting period" in shipments["date_note"]


def test_a_figure_compared_with_last_year_keeps_the_current_period():
    net_loss = by_id(make_draft(PRESS_RELEASE))["acme/2025-q3/net_loss"]
    assert net_loss["attributes"]["value"] == {"amount": 8700000, "unit": "USD"}
    assert net_loss["valid_from"] == "2025-07-01"  # not the comparison's Q3 2024
    assert "the same period last year" not in net_loss["date"]


def test_guidance_for_a_later_period():
    guidance = events_of(make_draft(PRESS_RELEASE), "guidance")
    assert len(guidance) == 1
    assert guidance[0]["date"] == "the fourth quarter of 2025"
    assert guidance[0]["attributes"] == {"metric": "revenue",
                                         "target": {"amount": 240000000, "unit": "USD", "qualifier": "about"}}


def test_kinds_entities_and_counterparties_of_a_press_release():
    bundle = make_draft(PRESS_RELEASE)
    kinds = {event["kind"] for event in bundle["events"]}
    assert {"listing", "financial_result", "operating_metric", "leadership", "partnership", "facility_opening",
            "certification", "guidance", "founding"} <= kinds
    partnership = events_of(bundle, "partnership")[0]
    assert (partnership["entity"], partnership["counterparty"]) == ("acme", "globex")
    assert partnership["attributes"]["scope"].startswith("jointly develop cockpit software")
    facility = events_of(bundle, "facility_opening")[0]
    assert facility["attributes"]["location"] == "Munich" and facility["date"] == "October 2025"
    certification = events_of(bundle, "certification")[0]
    assert certification["attributes"]["standard"] == "ISO 26262" and certification["attributes"]["level"] == "ASIL-D"
    leader = events_of(bundle, "leadership")[0]
    assert (leader["entity"], leader["counterparty"], leader["attributes"]["role"]) == ("acme", "jane-doe", "Chief Executive Officer")
    listing = events_of(bundle, "listing")[0]
    assert listing["attributes"] == {"exchange": "NASDAQ", "ticker": "ACMO"}
    founding = events_of(bundle, "founding")[0]
    assert (founding["entity"], founding["counterparty"], founding["date"]) == ("acme", "jane-doe", "2014")


def test_headline_and_standfirst_are_not_drafted():
    bundle = make_draft(PRESS_RELEASE)
    assert not any("50,000" in event["quote"] for event in bundle["events"])


def test_reviewed_press_release_imports(database, tmp_path):
    bundle = make_draft(PRESS_RELEASE, source_key="acme-q3-2025")
    result = import_reviewed(bundle, database, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"{len(bundle['events'])} events" in result.output


# ---- a transcript ----

def test_transcript_without_a_date_asks_for_one():
    with pytest.raises(Exception, match=r"pass --published-on"):
        make_draft(TRANSCRIPT)


def test_transcript_speakers_roles_and_reporting_period():
    bundle = make_draft(TRANSCRIPT, published_on="2025-11-12", entity="Acme")
    assert bundle["source"]["document_type"] == "earnings_call"
    events = by_id(bundle)
    revenue = events["acme/2025-q3/revenue"]
    assert revenue["date"] == "for the quarter" and revenue["valid_from"] == "2025-07-01"
    assert "said by Jane Doe - Chief Executive Officer" in revenue["review"]
    # "last quarter" on a Q3 call is Q2, whatever the calendar says on the call's date
    assert events["acme/2025-q2/revenue"]["attributes"]["value"]["amount"] == 198100000
    roles = {(e.get("counterparty") or e["attributes"].get("person"), e["attributes"]["role"])
             for e in events_of(bundle, "leadership")}
    assert roles == {("jane-doe", "Chief Executive Officer"), ("Richard Roe", "Chief Financial Officer")}
    customers = events["acme/2025-11-12/customers"]
    assert customers["attributes"]["value"] == {"amount": 14, "unit": "customers"}
    assert "stated as current" in customers["date_note"]


def test_transcript_questions_and_analyst_lines_are_not_facts():
    bundle = make_draft(TRANSCRIPT, published_on="2025-11-12", entity="acme")
    quotes = " ".join(event["quote"] for event in bundle["events"])
    assert "pricing" not in quotes and "margins" not in quotes and "Mark Lee" not in quotes


def test_transcript_launch_names_product_and_vehicle():
    launch = events_of(make_draft(TRANSCRIPT, published_on="2025-11-12", entity="acme"), "launch")[0]
    assert launch["date"] == "In September" and "valid_from" not in launch  # read from the text at import
    assert launch["attributes"]["product"] == "Orbit platform"
    assert launch["attributes"]["vehicle"] == "Globex Nova"
    assert launch["counterparty"] == "globex"


# ---- an interleaved translation ----

def test_interleaved_translation_quotes_the_english_lines():
    bundle = make_draft(INTERLEAVED, published_on="2025-08-20")
    assert all(not re.search(r"[\u4e00-\u9fff]", event["quote"]) for event in bundle["events"])
    revenue = by_id(bundle)["acme/2025-q2/revenue"]
    assert revenue["attributes"]["value"] == {"amount": 1300000000, "unit": "CNY"}


def test_interleaved_translation_quotes_the_chinese_lines_when_asked():
    bundle = make_draft(INTERLEAVED, published_on="2025-08-20", language="zh")
    assert bundle["source"]["language"] == "zh"
    assert all(re.search(r"[\u4e00-\u9fff]", event["quote"]) for event in bundle["events"])
    events = by_id(bundle)
    revenue = events["acme/2025-q2/revenue"]
    assert revenue["quote"] == "本季營收為人民幣13億元,年增31%。"
    assert revenue["attributes"]["value"] == {"amount": 1300000000, "unit": "CNY"}
    assert revenue["attributes"]["change_yoy"] == {"amount": 31, "unit": "percent"}
    partnership = events_of(bundle, "partnership")[0]
    assert (partnership["counterparty"], partnership["date"]) == ("globex", "6月")


# ---- tables ----

TABLE = """\
Acme Motors: selected figures

PARIS, 3 March 2026 – Acme Motors Inc. published its annual figures today.

(in millions of US$)
| | FY2025 | FY2024 |
|---|---|---|
| Total revenue | 845.2 | 701.9 |
| Net loss | (32.4) | (58.0) |
| Employees | 1,240 | 1,100 |
"""


def test_table_rows_take_the_period_from_the_header_and_the_scale_from_the_caption():
    events = by_id(make_draft(TABLE))
    revenue = events["acme/2025/revenue"]
    assert revenue["quote"] == "Total revenue | 845.2 | 701.9"
    assert revenue["attributes"]["value"] == {"amount": 845200000, "unit": "USD"}
    assert revenue["date_note"] == "from the table's column header 'FY2025'"
    assert events["acme/2025/net_loss"]["attributes"]["value"] == {"amount": 32400000, "unit": "USD"}
    assert events["acme/2025/employees"]["attributes"]["value"] == {"amount": 1240, "unit": "employees"}


# ---- quotes, ids, dates of undated facts ----

def test_long_sentence_is_trimmed_to_the_clause_with_the_fact():
    filler = ", ".join(f"a line of business number {n} that the company describes at length" for n in range(6))
    sentence = (f"Acme Motors Inc., which runs {filler}, reported that total revenue was US$99.5 million "
                f"in the third quarter of 2025, while {filler}.")
    text = f"SINGAPORE – November 12, 2025 – {sentence}\n"
    assert len(sentence) > 300
    event = events_of(make_draft(text), "financial_result")[0]
    assert len(event["quote"]) <= 300 and event["quote"] in sentence
    assert "US$99.5 million" in event["quote"] and "review" in event
    assert "trimmed" in event["review"]


def test_repeated_ids_get_a_suffix():
    text = ("LONDON – June 2, 2025 – Acme opened a plant in Leeds in May 2025. "
            "Acme opened a service centre in York in May 2025.\n")
    ids = [event["id"] for event in make_draft(text)["events"]]
    assert ids == ["acme/2025-05/facility_opening", "acme/2025-05/facility_opening-2"]


def test_an_undated_fact_outside_a_results_document_is_flagged():
    event = make_draft(UNDATED_ARTICLE, published_on="2025-05-01")["events"][0]
    assert event["date"] == "2025-05-01" and event["date_note"]
    assert "the date:" in event["review"]


def test_a_fact_repeated_later_is_proposed_once():
    text = ("BERLIN – July 1, 2025 – Acme revenue was US$50.2 million in the second quarter of 2025. "
            "To repeat: Acme revenue was US$50.2 million in the second quarter of 2025.\n")
    events = make_draft(text)["events"]
    assert len(events) == 1 and "stated again" in events[0]["review"]


def test_default_entity_is_the_company_named_most():
    bundle = make_draft(UNDATED_ARTICLE, published_on="2025-05-01")
    assert "'we' and 'the company' were read as acme" in bundle["source"]["note"]


def test_unknown_entity_option_is_an_error():
    with pytest.raises(Exception, match="unknown entity 'acmee'"):
        make_draft(UNDATED_ARTICLE, published_on="2025-05-01", entity="acmee")


# ---- YAML ----

def test_yaml_is_block_style_with_double_quoted_quotes_and_unicode_kept():
    text = to_yaml(make_draft(INTERLEAVED, published_on="2025-08-20", language="zh"))
    assert text.startswith("# DRAFT")
    assert "\nevents:\n- id: " in text and "\n  quote: \"本季營收為人民幣13億元,年增31%。\"" in text
    assert "\\u" not in text
    assert "value: {amount: 1300000000, unit: CNY}" in text
    assert "status: draft" in text and "  review: \"Confidence " in text and ". Check " in text


# ---- the command ----

def test_cli_writes_a_draft_that_import_refuses(database, tmp_path):
    document = tmp_path / "acme.txt"
    document.write_text(PRESS_RELEASE, encoding="utf-8")
    out = tmp_path / "acme-q3-2025.yml"
    result = cli_run("--db", database, "draft", document, "--source-key", "acme-q3-2025", "-o", out)
    assert result.exit_code == 0, result.output
    assert "drafted" in result.stderr
    bundle = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert_honest(bundle, PRESS_RELEASE)
    refused = cli_run("--db", database, "import", out)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error:") and "status: draft" in refused.stderr
    assert "Traceback" not in refused.output
    assert cli_run("--db", database, "sources").stdout == ""      # nothing was written
    assert cli_run("--db", database, "log").stdout == ""


def test_import_refuses_a_draft_whose_events_still_carry_review_notes(database, tmp_path):
    bundle = make_draft(PRESS_RELEASE, source_key="acme-q3-2025")
    bundle["source"].pop("status")
    path = tmp_path / "half-reviewed.yml"
    path.write_text(to_yaml(bundle), encoding="utf-8")
    refused = cli_run("--db", database, "import", path)
    assert refused.exit_code == 1 and "review" in refused.stderr
    assert cli_run("--db", database, "sources").stdout == ""


def test_cli_refuses_to_overwrite_and_needs_a_date(database, tmp_path):
    document = tmp_path / "call.txt"
    document.write_text(TRANSCRIPT, encoding="utf-8")
    out = tmp_path / "existing.yml"
    out.write_text("keep me", encoding="utf-8")
    result = cli_run("--db", database, "draft", document, "--source-key", "call", "-o", out)
    assert result.exit_code == 1 and "pass --force" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"
    result = cli_run("--db", database, "draft", document, "--source-key", "call")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no publication date") and result.stderr.rstrip().endswith("pass --published-on")
    result = cli_run("--db", database, "draft", document, "--source-key", "call", "--published-on", "2025-11-12")
    assert result.exit_code == 0 and result.stdout.startswith("# DRAFT")


def test_cli_reports_an_unwritable_output_in_one_line(database, tmp_path):
    document = tmp_path / "acme.txt"
    document.write_text(PRESS_RELEASE, encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = cli_run("--db", database, "draft", document, "--source-key", "k", "-o", blocker / "k.yml")
    assert result.exit_code == 1 and result.stderr.startswith("Error:") and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_creates_the_output_directory(database, tmp_path):
    document = tmp_path / "acme.txt"
    document.write_text(PRESS_RELEASE, encoding="utf-8")
    result = cli_run("--db", database, "draft", document, "--source-key", "k", "-o", tmp_path / "drafts" / "k.yml")
    assert result.exit_code == 0, result.output
    assert "status: draft" in (tmp_path / "drafts" / "k.yml").read_text(encoding="utf-8")


def test_cli_uses_the_database_registry(database, tmp_path):
    document = tmp_path / "acme.txt"
    document.write_text(PRESS_RELEASE, encoding="utf-8")
    result = cli_run("--db", database, "draft", document, "--source-key", "k", "--entity", "ACME")
    assert result.exit_code == 0, result.output
    assert "entity: acme" in result.stdout


def test_registry_falls_back_to_entities_yml(tmp_path, monkeypatch):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "entities.yml").write_text(ENTITIES_YAML, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    index, where = load_index(str(tmp_path / "missing.db"))
    assert where == str(Path("events/entities.yml")) and index.resolve("Globex") == "globex"


def test_cli_reviewed_draft_round_trips_through_import(database, tmp_path):
    document = tmp_path / "call.txt"
    document.write_text(TRANSCRIPT, encoding="utf-8")
    out = tmp_path / "call.yml"
    result = cli_run("--db", database, "draft", document, "--source-key", "acme-q3-2025-call",
                     "--published-on", "2025-11-12", "--entity", "acme", "--title", "Acme Q3 2025 call", "-o", out)
    assert result.exit_code == 0, result.output
    bundle = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert bundle["source"]["title"] == "Acme Q3 2025 call"
    imported = import_reviewed(bundle, database, tmp_path)
    assert imported.exit_code == 0, imported.output
    again = import_reviewed(bundle, database, tmp_path)
    assert again.stdout.startswith("unchanged")


# ---- the seed documents ----

SEED_RUNS = [
    ("000_d76c675aa1ade12d.txt", {}),
    ("001_df60a77aeecd707c.txt", {}),
    ("002_fbd879fbbe7704e6.txt", {"published_on": "2024-08-08"}),
    ("002_fbd879fbbe7704e6.txt", {"published_on": "2024-08-08", "language": "zh"}),
]


@pytest.mark.skipif(not SEEDS.is_dir() or not (ROOT / "events" / "entities.yml").is_file(),
                    reason="seed documents or events/entities.yml not present")
@pytest.mark.parametrize("name,options", SEED_RUNS, ids=lambda v: v if isinstance(v, str) else v.get("language", "en"))
def test_seed_drafts_are_honest_and_import_once_reviewed(name, options, tmp_path):
    index, _ = load_index(None, ROOT / "events" / "entities.yml")
    bundle = draft_file(SEEDS / name, source_key="seed-draft", index=index, **options)
    assert_honest(bundle, (SEEDS / name).read_text(encoding="utf-8"))
    assert len(bundle["events"]) >= 10
    db = tmp_path / "seed.db"
    assert cli_run("--db", db, "init").exit_code == 0
    assert cli_run("--db", db, "import", ROOT / "events" / "entities.yml").exit_code == 0
    result = import_reviewed(bundle, db, tmp_path)
    assert result.exit_code == 0, result.output


# ---- any document: the promises hold, and nothing crashes ----

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FRAGMENTS = [
    "Acme", "We", "Globex Holdings", "The company", "Jane Doe, Chief Financial Officer of Acme,", "revenue was",
    "total revenue for the quarter was", "gross margin was", "net loss of", "shipped", "partnered with Globex",
    "opened a plant in Leeds", "invested", "in", "US$1.3 billion", "RMB944 million", "$155.6 million", "31%",
    "down 10% year-over-year", "an increase of 7% sequentially", "135,000 units", "over 6.9 million vehicles",
    "in the second quarter of 2025", "as of June 30, 2025", "last quarter", "in April", "full-year 2026",
    "the same period last year", "(Nasdaq: ACMO)", "obtained ISO 9001 certification", "expects", "launched the Orbit platform",
    ",", ";", "and", "—", "“", "”", "营收为人民币13亿元", "2025年第二季度", "Q2 2025", "12 million", "about",
]


@st.composite
def documents(draw):
    sentences = []
    for _ in range(draw(st.integers(1, 6))):
        words = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=2, max_size=40))
        sentences.append(" ".join(words) + draw(st.sampled_from([".", "!", "?", "。", ""])))
    layout = draw(st.sampled_from(["dateline", "list", "plain"]))
    body = "\n".join(sentences) if layout != "list" else "Highlights for Q2 2025:\n" + "\n".join(f"- {s}" for s in sentences)
    if layout == "dateline":
        return f"Acme news\n\nLONDON – July 30, 2025 – {body}\n"
    return body + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.sampled_from(["en", "zh"]))
def test_any_document_draft_keeps_its_promises(text, language):
    bundle = make_draft(text, published_on="2025-07-30", language=language)
    for event in bundle["events"]:  # and each event is one `timeline import` accepts once reviewed
        assert event["entity"] in INDEX.entities
