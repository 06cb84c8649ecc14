"""The drafting rules of issue #14, one table each: several facts per sentence and per bullet,
highlights and tables, coreference, qualitative and relative facts, prior-period comparisons,
word numbers and ranges, more date forms, people and roles, and the confidence on each
proposal.  The sentences are written for these tests (the fictional Acme Motors of test_draft)."""
import datetime as dt

import pytest

from timeline import dates
from timeline.draft import segment as segmenting
from timeline.draft import when
from timeline.draft.amounts import find_amounts

from .test_draft import INDEX, by_id, make_draft
from .test_draft_extract import read_all

BASE = dt.date(2025, 11, 12)
Q3 = when.ReportingPeriod(dates.parse("Q3 2025"), "third quarter 2025 results", "Q3 2025")


def facts(sentence, **options):
    """(kind, metric or the metric a note wants, entity, counterparty, amount) of each reading."""
    return [(r.kind, r.metric or r.wants, r.entity.key if r.entity else None,
             r.counterparty.key if r.counterparty else None,
             next((v["amount"] for v in r.attributes.values() if isinstance(v, dict) and "amount" in v), None))
            for r in read_all(sentence, **options)]


# ---- several facts in one sentence or bullet ----

@pytest.mark.parametrize("sentence,expected", [
    ("Acme reported revenue of $80 million (up 8% year over year) and full-year revenue of $300 million.",
     [("financial_result", "revenue", "acme", None, 80000000), ("financial_result", "revenue", "acme", None, 300000000)]),
    ("Gross profit was $30 million and gross margin was 23%.",
     [("financial_result", "gross_profit", "acme", None, 30000000), ("financial_result", "gross_margin", "acme", None, 23)]),
    ("Adjusted EBITDA and net income of $72 million and $60 million respectively.",
     [("financial_result", "adjusted_ebitda", "acme", None, 72000000), ("financial_result", "net_income", "acme", None, 60000000)]),
    ("Acme announced a design win with Globex, and shipped Orbit systems to Initech.",
     [("design_win", None, "acme", "globex", None), ("customer", None, "acme", "initech", None)]),
    ("Acme works with 59 automakers, including Globex, Initech and Lotte Tech.",
     [("operating_metric", "customers", "acme", None, 59), ("customer", None, "acme", "globex", None),
      ("customer", None, "acme", "initech", None), ("customer", None, "acme", "lotte-tech", None)]),
    ("Acme signed strategic partnerships with Globex, Initech and Lotte Tech in May 2025.",
     [("partnership", None, "acme", "globex", None), ("partnership", None, "acme", "initech", None),
      ("partnership", None, "acme", "lotte-tech", None)]),
    ("Globex and Initech have both partnered with Acme this year.",
     [("partnership", None, "globex", "acme", None), ("partnership", None, "initech", "acme", None)]),
])
def test_several_facts_per_sentence(sentence, expected):
    assert facts(sentence) == expected


def test_a_figure_a_metric_states_is_not_also_an_investment():
    assert [f[0] for f in facts("Adjusted EBITDA loss was $21 million, mainly from equity investment losses.")] == [
        "financial_result"]


# ---- the metrics of metrics.yml, each in the unit it is measured in ----

@pytest.mark.parametrize("sentence,kind,metric,value", [
    ("Diluted EPS was $1.40 in the third quarter of 2025.", "financial_result", "eps", {"amount": 1.4, "unit": "USD/share"}),
    ("Operating cash flow totaled $624 million for the quarter.", "financial_result", "operating_cash_flow",
     {"amount": 624000000, "unit": "USD"}),
    ("Capital expenditures were approximately $200 million.", "financial_result", "capital_expenditures",
     {"amount": 200000000, "unit": "USD", "qualifier": "about"}),
    ("Adjusted operating income margin of 11.0% in the quarter.", "financial_result", "operating_margin",
     {"amount": 11, "unit": "percent"}),
    ("During the quarter, we repurchased $300 million of stock.", "financial_result", "share_repurchases",
     {"amount": 300000000, "unit": "USD"}),
    ("We secured five new design wins during the quarter.", "operating_metric", "design_wins", {"amount": 5, "unit": "projects"}),
])
def test_metrics_are_read_in_their_units(sentence, kind, metric, value):
    reading = read_all(sentence, reporting=Q3)[0]
    assert (reading.kind, reading.metric, reading.attributes["value"]) == (kind, metric, value)


# ---- metrics the vocabulary does not have: notes that say which metric they want ----

@pytest.mark.parametrize("sentence,wants,amount", [
    ("The new plant will bring more than 1,000 new jobs to Leeds.", "jobs_created", 1000),
])
def test_metrics_not_yet_in_the_vocabulary_are_notes(sentence, wants, amount):
    reading = read_all(sentence, reporting=Q3)[0]
    assert (reading.kind, reading.wants, reading.attributes["value"]["amount"]) == ("note", wants, amount)
    assert any(f"it wants metric '{wants}'" in remark for remark in reading.remarks)


# ---- qualitative outcomes, changes without a level, outlooks without a figure ----

@pytest.mark.parametrize("sentence,kind,topic", [
    ("Net loss narrowed in the third quarter of 2025.", "note", "net loss narrowed"),
    ("Operating margin improved meaningfully versus the second quarter of 2025.", "note", "operating margin improved"),
    ("Operating expenses rose 12% in the quarter.", "note", "operating expenses change"),
    ("Operating margin expanded 90 basis points versus prior year.", "note", "operating margin change"),
    ("Results were supported by a raised full-year revenue outlook.", "guidance", None),
])
def test_results_without_a_level(sentence, kind, topic):
    reading = read_all(sentence, reporting=Q3)[0]
    assert reading.kind == kind
    assert reading.attributes.get("topic") == topic
    assert "value" not in reading.attributes or reading.attributes["value"]["unit"] in ("percent", "percentage_points")


def test_basis_points_are_percentage_points():
    assert [(a.amount, a.unit) for a in find_amounts("Margins expanded 90 basis points.")] == [(0.9, "percentage_points")]


# ---- prior-period comparisons are facts of their own period ----

@pytest.mark.parametrize("text,expected", [
    ("LONDON – November 12, 2025 – Acme's order backlog reached $30 billion in October 2025, up from $19 billion in July.",
     {("backlog", 30000000000, "Oct 2025"), ("backlog", 19000000000, "Jul 2025")}),
    ("LONDON – November 12, 2025 – Acme expects to ship 1,000,000 units in 2026, up from 160,000 units in 2024.",
     {("shipments", 1000000, "2026"), ("shipments", 160000, "2024")}),
    ("LONDON – November 12, 2025 – Acme's backlog reached $30 billion in October 2025.\nThat's up from $19 billion in July.",
     {("backlog", 30000000000, "Oct 2025"), ("backlog", 19000000000, "Jul 2025")}),
])
def test_compared_figures_are_dated_by_their_own_period(text, expected):
    bundle = make_draft(text, index=INDEX)
    found = {(e["attributes"]["metric"], (e["attributes"].get("value") or e["attributes"].get("target"))["amount"],
              dates.label(dt.date.fromisoformat(e["valid_from"]), dt.date.fromisoformat(e["valid_to"]), e["precision"])
              if e.get("valid_from") else dates.label(*_span(e["date"]))) for e in bundle["events"] if "metric" in e["attributes"]}
    assert found == expected


def _span(text):
    span = dates.parse(text, base=BASE)
    return span.valid_from, span.valid_to, span.precision


# ---- amounts: word numbers, negatives in parentheses, "400+", ranges ----

@pytest.mark.parametrize("sentence,expected", [
    ("Acme won two projects and a dozen brands.", [(2, "projects", None, False), (12, "brands", None, False)]),
    ("Acme will ship a million chips.", [(1000000, "units", None, False)]),
    ("Diluted EPS was $(0.04).", [(-0.04, "USD", None, False)]),
    ("The chip delivers 400+ TOPS.", [(400, "TOPS", "at_least", False)]),
    ("Prices range from $200 for small cars to up to $3,000 on premium ones.", [(200, "USD", None, True), (3000, "USD", "up_to", True)]),
    ("Modules sell for $400 to $1,200.", [(400, "USD", None, True), (1200, "USD", None, True)]),
    ("One of the models sold well.", []),
])
def test_amounts_in_words_negatives_and_ranges(sentence, expected):
    found = find_amounts(sentence)
    assert [(a.amount, a.unit, a.qualifier, a.range) for a in found] == expected


def test_a_range_is_never_one_value():
    readings = read_all("Acme estimates its revenue per vehicle ranges from $200 for small cars to up to $3,000 in 2025.")
    assert [r.kind for r in readings] == ["note"]
    assert "value" not in readings[0].attributes and "$200" in readings[0].attributes["description"]


# ---- dates ----

@pytest.mark.parametrize("sentence,base,text,span,precision", [
    ("We opened the plant two years ago.", "2025-11-12", "two years ago", ("2023-01-01", "2023-12-31"), "year"),
    ("Sales began earlier this year.", "2025-11-12", "earlier this year", ("2025-01-01", "2025-12-31"), "year"),
    ("Robotaxis arrive in 2028 and '29.", "2025-11-12", "'29", ("2029-01-01", "2029-12-31"), "year"),
    ("Revenue of $1.3 billion for its fiscal year ending Sept. 25.", "2022-09-12", "its fiscal year ending Sept. 25",
     ("2021-09-26", "2022-09-25"), "year"),
    ("Cash from operations of $197 million in the six months ended July 1, 2023.", "2023-07-27",
     "the six months ended July 1, 2023", ("2023-01-02", "2023-07-01"), "half"),
    ("During the fourth quarter, we repurchased $300 million of stock.", "2024-01-31", "the fourth quarter",
     ("2023-10-01", "2023-12-31"), "quarter"),
    ("We expect the fourth quarter to be strong.", "2024-01-31", "the fourth quarter", ("2024-10-01", "2024-12-31"), "quarter"),
    ("Year-to-Date Financial Highlights Include:", "2023-11-02", "Year-to-Date", ("2023-01-01", "2023-10-31"), "month"),
    ("Revenue for the first nine months of 2023 was $15 billion.", "2023-11-02", "the first nine months of 2023",
     ("2023-01-01", "2023-09-30"), "month"),
])
def test_more_date_forms(sentence, base, text, span, precision):
    found = {m.text: m for m in when.find_dates(sentence, dt.date.fromisoformat(base))}
    mention = found[text]
    assert (mention.span.valid_from.isoformat(), mention.span.valid_to.isoformat(), mention.span.precision) == (*span, precision)
    assert mention.note or mention.how == "parsed"  # an inferred date always says how it was inferred


def test_year_to_date_ends_with_the_reporting_period():
    mention = when.find_dates("Year-to-Date Highlights:", BASE, reporting=Q3)[0]
    assert (mention.span.valid_from.isoformat(), mention.span.valid_to.isoformat()) == ("2025-01-01", "2025-09-30")


def test_yearless_quarters_take_the_reporting_year():
    mention = when.find_dates("Revenue in the second quarter was $10 million.", dt.date(2026, 1, 20), reporting=Q3)[0]
    assert mention.span.valid_from.isoformat() == "2025-04-01" and "Q3 2025" in mention.note


@pytest.mark.parametrize("text,published,label", [
    ("Thanks, operator. Starting with a recap of the quarter, revenues were $4.9 billion.", "2024-01-31", "Q4 2023"),
    ("Welcome to the earnings call. Revenue was $4.9 billion.", "2024-05-02", "Q1 2024"),
    ("Welcome to the earnings call. Revenue was $4.9 billion.", "2024-06-20", None),   # too long after the quarter
    ("Acme opened a plant. Revenue was $4.9 billion.", "2024-01-31", None),             # not a call
])
def test_a_calls_quarter_is_inferred_from_its_date(text, published, label):
    found = when.call_period(text, dt.date.fromisoformat(published))
    assert (found.label if found else None) == label


def test_a_date_in_an_aside_does_not_date_the_main_clause():
    text = ("Acme Q4 2023 earnings call\nThanks, operator. Revenues were $4.9 billion in line with our expectations, "
            "including the impact of the strike in October.\n")
    bundle = make_draft(text, index=INDEX, published_on="2024-01-31", entity="acme")
    revenue = next(e for e in bundle["events"] if e["attributes"].get("metric") == "revenue")
    assert revenue["valid_from"] == "2023-10-01" and revenue["valid_to"] == "2023-12-31"


# ---- highlights, lists and tables ----

def test_list_items_wrapped_mid_sentence_are_one_item():
    text = ("LONDON – November 12, 2025 – Acme reports.\nThird Quarter Highlights:\n"
            "-- Revenue of $5.1 billion, an increase of\n11%\n-- Generated $746 million of cash from\noperations\n"
            "- Adjusted EBITDA margin of 14.2%; Adjusted\nEBITDA of $727 million\n")
    layout = segmenting.read_layout(text)
    items = [s.text for s in layout.segments if s.role == "item"]
    assert items == ["Revenue of $5.1 billion, an increase of\n11%", "Generated $746 million of cash from\noperations",
                     "Adjusted EBITDA margin of 14.2%; Adjusted\nEBITDA of $727 million"]
    assert all(s.intro == "Third Quarter Highlights:" for s in layout.segments if s.role == "item")


def test_highlights_without_verbs_give_one_event_per_metric():
    text = ("LONDON – November 12, 2025 – Acme Motors reports third quarter 2025 results.\n"
            "Third Quarter 2025 Highlights:\n- Revenue: $84.2 million, up 12% year over year\n"
            "- Gross margin: 18.2%, up 3 points\n- Adjusted EBITDA margin of 14.2%; Adjusted EBITDA of $27 million\n")
    bundle = make_draft(text, index=INDEX)
    found = {(e["kind"], e["attributes"].get("metric") or e["attributes"].get("topic"),
              e["attributes"]["value"]["amount"]) for e in bundle["events"] if "value" in e["attributes"]}
    assert found == {("financial_result", "revenue", 84200000), ("financial_result", "gross_margin", 18.2),
                     ("financial_result", "adjusted_ebitda_margin", 14.2), ("financial_result", "adjusted_ebitda", 27000000)}
    assert all(e["date"] == "Q3 2025" or e.get("valid_from") == "2025-07-01" for e in bundle["events"]
               if "value" in e["attributes"])


def test_table_rows_give_one_event_per_period_column():
    text = ("LONDON – November 12, 2025 – Acme Motors reports third quarter 2025 results.\n"
            "(in millions of US$)\n| | Q3 2025 | Q3 2024 |\n|---|---|---|\n| Total revenue | 845.2 | 701.9 |\n"
            "| Gross profit | 120.0 | 98.5 |\n")
    bundle = make_draft(text, index=INDEX)
    found = {(e["attributes"]["metric"], e["attributes"]["value"]["amount"], e["valid_from"]) for e in bundle["events"]}
    assert found == {("revenue", 845200000, "2025-07-01"), ("revenue", 701900000, "2024-07-01"),
                     ("gross_profit", 120000000, "2025-07-01"), ("gross_profit", 98500000, "2024-07-01")}


def test_glued_table_cells_are_cut_and_keep_the_companys_figures_only():
    text = ("Acme Q3 2025 Earnings Report Acme EPS ResultsActual EPS$0.13Consensus EPS $0.11Beat/MissBeat by "
            "+$0.02Acme Revenue ResultsActual Revenue$506.00 millionExpected Revenue$466.42 million\n")
    layout = segmenting.read_layout(text)
    assert "Actual EPS$0.13" in [s.text for s in layout.segments]
    bundle = make_draft(text, index=INDEX, published_on="2025-11-12")
    found = {(e["attributes"].get("metric") or e["attributes"].get("topic"), e["attributes"]["value"]["amount"])
             for e in bundle["events"] if "value" in e["attributes"]}
    assert found == {("eps", 0.13), ("revenue", 506000000)}


# ---- coreference ----

def test_the_company_in_a_news_story_is_the_company_last_named():
    text = ("Globex and Acme deepen ties\n\nGlobex Holdings said revenue was $40 million in the third quarter of 2025.\n"
            "The company expects revenue of $50 million in the fourth quarter of 2025.\n")
    bundle = make_draft(text, index=INDEX, published_on="2025-11-12")
    assert {e["entity"] for e in bundle["events"] if e["attributes"].get("metric") == "revenue"} == {"globex"}
    assert any("from 'The company'" in e["review"] for e in bundle["events"])


def test_the_company_in_its_own_release_is_the_default():
    text = ("LONDON – November 12, 2025 – Acme Motors and Globex Holdings signed a supply contract.\n"
            "The company expects revenue of $50 million in the fourth quarter of 2025.\n")
    bundle = make_draft(text, index=INDEX, entity="acme")
    assert {e["entity"] for e in bundle["events"] if e["kind"] == "guidance"} == {"acme"}


# ---- people and their roles ----

@pytest.mark.parametrize("sentence,person,role", [
    ("Jane Doe, chief executive officer of Acme, said demand was strong.", "jane-doe", "chief executive officer"),
    ("According to Jane Doe, the company's founder and CTO, chips matter.", "jane-doe", "founder and CTO"),
    ('"Demand was strong," said Chief Executive Jane Doe.', "jane-doe", "Chief Executive"),
    ("Acme appointed Jane Doe as Chief Sales and Marketing Officer.", "jane-doe", "Chief Sales and Marketing Officer"),
])
def test_people_and_roles(sentence, person, role):
    reading = next(r for r in read_all(sentence) if r.kind == "leadership")
    assert (reading.counterparty.key, reading.attributes["role"]) == (person, role)


def test_a_speaker_introduced_on_two_lines():
    text = "Acme Q3 2025 earnings call\nJane Doe\nChief Financial Officer at Acme\nThanks, operator.\n"
    bundle = make_draft(text, index=INDEX, published_on="2025-11-12", entity="acme")
    assert [(e["kind"], e.get("counterparty"), e["attributes"]["role"]) for e in bundle["events"]] == [
        ("leadership", "jane-doe", "Chief Financial Officer")]


# ---- confidence ----

def test_each_proposal_says_how_sure_it_is_and_low_ones_come_last():
    text = ("LONDON – November 12, 2025 – Acme Motors reports third quarter 2025 results.\n"
            "Revenue for the third quarter of 2025 was $84.2 million.\n"
            "Our teams were busy, and the pipeline grew to 17% of what we had hoped.\n")
    bundle = make_draft(text, index=INDEX)
    bands = [e["review"].split(",")[0] for e in bundle["events"]]
    assert all(band in ("Confidence high", "Confidence medium", "Confidence low") for band in bands)
    order = {"Confidence high": 0, "Confidence medium": 0, "Confidence low": 1}
    assert [order[b] for b in bands] == sorted(order[b] for b in bands)
    revenue = next(e for e in bundle["events"] if e["attributes"].get("metric") == "revenue")
    assert revenue["review"].startswith("Confidence high")
    assert by_id(bundle)  # ids unique (make_draft checks the rest: quotes verbatim, amounts in their quotes)


# ---- launches and sites the registry does not name ----

@pytest.mark.parametrize("sentence,product,stage", [
    ("Acme will launch driverless robotaxi services in 2026.", "driverless robotaxi services", "planned"),
    ("Production is set to begin in August 2026.", "(not named in the sentence)", "start of production (planned)"),
    ("Acme launched the Orbit platform in October 2025.", "Orbit platform", "launched"),
])
def test_launches_of_unregistered_products(sentence, product, stage):
    reading = next(r for r in read_all(sentence) if r.kind == "launch")
    assert (reading.attributes["product"], reading.attributes.get("stage")) == (product, stage)


@pytest.mark.parametrize("sentence", [
    "We talked about launches coming later this year.",
    "Several new vehicles launched this quarter.",
    "Vehicles that are launched globally will continue to grow.",
])
def test_launch_words_without_a_thing_launched_are_not_launches(sentence):
    assert all(r.kind != "launch" for r in read_all(sentence))


def test_a_start_of_production_listed_with_two_dates_is_proposed_for_each():
    text = "LONDON – February 28, 2026 – Acme will supply motors.\nProduction is planned to start in August and October 2026.\n"
    bundle = make_draft(text, index=INDEX)
    launches = [e for e in bundle["events"] if e["kind"] == "launch"]
    assert sorted(e["date"] for e in launches) == ["October 2026", "in August"]
    assert all("the pairing is not stated" in e["review"] for e in launches)


def test_a_new_facility_included_in_an_announcement():
    reading = next(r for r in read_all("The growth includes a new battery facility in Leeds to support Globex.")
                   if r.kind == "facility_opening")
    assert reading.attributes["location"] == "Leeds"


def test_each_figure_takes_its_own_date_and_more_than_is_no_comparison():
    text = ("LONDON – November 12, 2025 – Acme forecasts revenue of $1.3 billion for 2025.\n"
            "That's expected to grow to more than $4 billion by 2027 and exceed $9 billion by 2031.\n")
    bundle = make_draft(text, index=INDEX)
    found = {(e["attributes"]["target"]["amount"], e["date"]) for e in bundle["events"] if e["kind"] == "guidance"}
    assert found == {(1300000000, "2025"), (4000000000, "2027"), (9000000000, "2031")}


def test_a_flow_of_cash_is_not_a_cash_balance():
    reading = read_all("Generated net cash from operating activities of $197 million in the six months ended July 1, 2023.")[0]
    assert (reading.kind, reading.metric, reading.attributes["value"]["amount"]) == (
        "financial_result", "operating_cash_flow", 197000000)


def test_one_certification_per_standard_and_one_leadership_per_role():
    readings = read_all("Acme was granted three certifications: ASPICE v4.0 CL3, ISO9001 and ISO14001 in May 2025.")
    assert [r.attributes["standard"] for r in readings] == ["ASPICE v4.0", "ISO9001", "ISO14001"]
    assert [r.attributes.get("level") for r in read_all("Acme obtained ISO 26262 ASIL-D certification in May 2025.")] == ["ASIL-D"]
