"""The drafter's extractors, one table each: dates in context, amounts and units,
entity mentions, and the kind rules.  The sentences are written for these tests."""
import datetime as dt

import pytest

from timeline import dates
from timeline.draft import classify, when
from timeline.draft.amounts import find_amounts, is_decrease

from .test_draft import INDEX

BASE = dt.date(2025, 11, 12)
Q3 = when.ReportingPeriod(dates.parse("Q3 2025"), "third quarter 2025 results", "Q3 2025")


# ---- dates in context ----

@pytest.mark.parametrize("sentence,expected", [
    ("Revenue for the third quarter of 2025 was $10 million.", [("the third quarter of 2025", "2025-07-01", "2025-09-30", "quarter")]),
    ("Cash stood at $5 million as of September 30, 2025.", [("as of September 30, 2025", "2025-09-30", "2025-09-30", "day")]),
    ("The plant in Leeds opened in March.", [("in March", "2025-03-01", "2025-03-31", "month")]),
    ("Deliveries began in Q4 2024 and doubled by 2Q25.", [("Q4 2024", "2024-10-01", "2024-12-31", "quarter"),
                                                          ("2Q25", "2025-04-01", "2025-06-30", "quarter")]),
    ("Sales rose in the first half of 2026, after a slow second half of last year.",
     [("the first half of 2026", "2026-01-01", "2026-06-30", "half"), ("second half of last year", "2024-07-01", "2024-12-31", "half")]),
    ("The company expects full-year 2026 revenue growth of 15%.", [("full-year 2026", "2026-01-01", "2026-12-31", "year")]),
    ("Shipments ended the year at a record.", []),
    ("Orders were signed on Sept. 8, 2025 in Munich.", [("Sept. 8, 2025", "2025-09-08", "2025-09-08", "day")]),
    ("The factory will open in early 2027.", [("early 2027", "2027-01-01", "2027-04-30", "approximate")]),
    ("The unit was founded in '19 and listed in 2021.", [("in '19", "2019-01-01", "2019-12-31", "year"), ("2021", "2021-01-01", "2021-12-31", "year")]),
    ("Revenue grew 12% year-over-year to 2,025 units.", []),
    ("We may see demand recover; April Chen joined the board.", []),
    ("The model goes on sale next month.", [("next month", "2025-12-01", "2025-12-31", "month")]),
    ("Margins improved this year.", [("this year", "2025-01-01", "2025-12-31", "year")]),
])
def test_dates_found_in_a_sentence(sentence, expected):
    found = when.find_dates(sentence, BASE)
    assert [(m.text, m.span.valid_from.isoformat(), m.span.valid_to.isoformat(), m.span.precision) for m in found] == expected
    assert all(sentence[m.start:m.end] == m.text for m in found)


@pytest.mark.parametrize("sentence,text,span,how,comparison", [
    ("Revenue for the quarter was $80 million.", "for the quarter", ("2025-07-01", "2025-09-30"), "reporting", False),
    ("In this quarter alone we added 3,000 vehicles.", "In this quarter", ("2025-07-01", "2025-09-30"), "reporting", False),
    ("By the end of the quarter, 1.2 million cars ran our software.", "the end of the quarter", ("2025-09-30", "2025-09-30"), "reporting", False),
    ("Net loss was $3 million, down from $5 million in the same period last year.", "the same period last year",
     ("2024-07-01", "2024-09-30"), "reporting", True),
    ("Last quarter, revenue was $70 million.", "Last quarter", ("2025-04-01", "2025-06-30"), "relative_to_reporting", False),
    ("Margin was 20%, up from 18% last quarter.", "last quarter", ("2025-04-01", "2025-06-30"), "relative_to_reporting", True),
    ("本季營收為人民幣13億元。", "本季", ("2025-07-01", "2025-09-30"), "reporting", False),
])
def test_dates_read_from_the_reporting_period(sentence, text, span, how, comparison):
    found = when.find_dates(sentence, BASE, reporting=Q3)
    mention = next(m for m in found if m.text == text)
    assert (mention.span.valid_from.isoformat(), mention.span.valid_to.isoformat()) == span
    assert (mention.how, mention.comparison) == (how, comparison)
    assert mention.note and Q3.label in mention.note or "Q3 2024" in mention.note or "counted from" in mention.note


@pytest.mark.parametrize("sentence,text,span", [
    ("2025年第三季度營收增長。", "2025年第三季度", ("2025-07-01", "2025-09-30")),
    ("我們於6月推出新平台。", "6月", ("2025-06-01", "2025-06-30")),
    ("上半年出貨量增長 20%。", "上半年", ("2025-01-01", "2025-06-30")),
    ("2024 年銷量約 8,800 萬輛。", "2024 年", ("2024-01-01", "2024-12-31")),
])
def test_chinese_dates(sentence, text, span):
    mention = when.find_dates(sentence, BASE, language="zh")[0]
    assert mention.text == text and (mention.span.valid_from.isoformat(), mention.span.valid_to.isoformat()) == span
    assert mention.from_text == (" " not in text)  # a spaced form is read respaced, and its date_note says so


def test_fiscal_years_use_the_entity_year_end():
    mention = when.find_dates("Revenue in FY2025 was $1 billion.", BASE, fiscal_year_end="03-31")[0]
    assert (mention.span.valid_from.isoformat(), mention.span.valid_to.isoformat()) == ("2024-04-01", "2025-03-31")


@pytest.mark.parametrize("text,front,published,label", [
    ("Acme reports second quarter 2025 unaudited financial results. Revenue was $5 million.", "", "2025-08-20", "Q2 2025"),
    ("Welcome to the Q3 2024 earnings call.", "", "2024-11-05", "Q3 2024"),
    ("The company announced results for the three months ended June 30, 2025.", "", "2025-08-01", "Q2 2025"),
    ("Revenue was $10 million for the period.", "Acme posts record sales in Q2", "2025-08-01", "Q2 2025"),
    ("Revenue was $10 million.", "Acme eyes growth in H2", "2025-08-01", None),   # H2 2025 has not ended
    ("Acme opened a plant.", "Acme shines in Q2", "2025-08-01", None),              # no figures: not a results document
    ("Acme will report fourth quarter 2025 results in March.", "", "2025-11-01", None),  # not ended yet
])
def test_reporting_period(text, front, published, label):
    found = when.reporting_period(text, front, dt.date.fromisoformat(published))
    assert (found.label if found else None) == label


# ---- amounts ----

@pytest.mark.parametrize("sentence,expected", [
    ("Revenue was $155.6 million.", [(155600000, "USD", None, "money")]),
    ("Revenue was RMB1.3 billion.", [(1300000000, "CNY", None, "money")]),
    ("It invested US$23M in the venture.", [(23000000, "USD", None, "money")]),
    ("Sales reached €4.5bn and HK$12 million.", [(4500000000, "EUR", None, "money"), (12000000, "HKD", None, "money")]),
    ("Costs were 85.5 million USD.", [(85500000, "USD", None, "money")]),
    ("It shipped 135,000 units.", [(135000, "units", None, "count")]),
    ("Margin was 31%.", [(31, "percent", None, "percent")]),
    ("Growth of close to 20% is expected.", [(20, "percent", "close_to", "percent")]),
    ("It powers over 9.3 million vehicles.", [(9300000, "vehicles", "over", "count")]),
    ("It employs approximately 1,200 employees.", [(1200, "employees", "about", "count")]),
    ("We serve 17 automotive OEMs.", [(17, "customers", None, "count")]),
    ("It bought 2,400,000 newly issued ordinary shares at US$1.37 per share.",
     [(2400000, "shares", None, "count"), (1.37, "USD", None, "money")]),
    ("Margin rose 3.5 percentage points.", [(3.5, "percentage_points", None, "percent")]),
    ("Sales were 12 million.", [(12000000, "", None, "count")]),
    ("It sells to the top 10 automakers.", []),
    ("The plant opened in 2024.", []),
    ("Margins were 20%-ish.", [(20, "percent", "about", "percent")]),
    ("A loss of more than US$1.1 billion.", [(1100000000, "USD", "over", "money")]),
])
def test_amounts_and_units(sentence, expected):
    skip = [(m.start, m.end) for m in when.find_dates(sentence, BASE)]
    found = find_amounts(sentence, skip)
    assert [(a.amount, a.unit, a.qualifier, a.kind) for a in found] == expected
    assert all(sentence[a.start:a.end] == a.text for a in found)


@pytest.mark.parametrize("sentence,changes", [
    ("Revenue was $80 million, down 10% year-over-year.", [("yoy", True)]),
    ("Shipments reached 5,000 units, a 112% increase year-over-year.", [("yoy", False)]),
    ("Users grew 32% year-over-year or 7% sequentially.", [("yoy", False), ("qoq", False)]),
    ("Sales were up 6% and 30% year-over-year, respectively.", [("yoy", False), ("yoy", False)]),
    ("Gross margin was 23%, an increase of 1% quarter-over-quarter.", [(None, False), ("qoq", False)]),
    ("Expenses decreased 21% during the quarter.", [(None, True)]),
    ("營收年增 31%,毛利率較上一季下降 2%。", [("yoy", False), ("qoq", True)]),
])
def test_percentages_as_changes(sentence, changes):
    language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in sentence) else "en"
    found = [a for a in find_amounts(sentence, language=language) if a.kind == "percent"]
    assert [(a.change, is_decrease(sentence, a)) for a in found] == changes


@pytest.mark.parametrize("sentence,expected", [
    ("營收為人民幣13億元。", [(1300000000, "CNY")]),
    ("道路上已有超過 690 萬輛車。", [(6900000, "vehicles")]),
    ("毛利率為 23%。", [(23, "percent")]),
    ("投資 2,300 萬美元。", [(23000000, "USD")]),
])
def test_chinese_amounts(sentence, expected):
    assert [(a.amount, a.unit) for a in find_amounts(sentence, language="zh")] == expected


def test_numbers_inside_names_are_not_amounts():
    sentence = "The Globex Nova 2 uses the Orbit platform with 8 chips."
    names = [(m.start, m.end) for m in INDEX.mentions(sentence)]
    assert [(a.amount, a.unit) for a in find_amounts(sentence, names + [(15, 18)])] == [(8, "units")]


# ---- entity mentions ----

@pytest.mark.parametrize("sentence,keys", [
    ("Acme Motors Inc. and Globex Holdings signed a deal.", ["acme", "globex"]),
    ("ACME's Orbit platform ships in the Globex Nova.", ["acme", "orbit", "globex-nova"]),
    ("We expanded our work with Globex.", ["acme", "acme", "globex"]),
    ("The company raised US$5 million in the US.", ["acme", "united-states"]),
    ("Thank you all for helping us.", ["acme"]),                  # "us" is the pronoun, not the United States
    ("A lot of buyers chose Lotte Tech (LOT).", ["lotte-tech", "lotte-tech"]),  # "lot" is not the LOT ticker
    ("Its smart cockpit launched.", []),                           # "smart" the word, not the smart brand
    ("Smart brand cars use it.", ["smart"]),
    ("艾克美汽車與Globex簽署協議。", ["acme", "globex"]),
    ("Globexx and Acmes are not names here.", []),
])
def test_entity_mentions(sentence, keys):
    found = INDEX.mentions(sentence, default="acme")
    assert [m.key for m in found] == keys
    assert all(sentence[m.start:m.end] == m.text for m in found)


@pytest.mark.parametrize("name,key", [("acme", "acme"), ("ACME MOTORS INC.", "acme"), ("gbx", "globex"), ("Nova", "globex-nova")])
def test_registry_lookup_is_case_insensitive(name, key):
    assert INDEX.resolve(name) == key


def test_unknown_name_offers_close_matches():
    with pytest.raises(Exception, match="did you mean 'globex'"):
        INDEX.resolve("globexx")


# ---- kind rules ----

def read(sentence, default="acme", reporting=None):
    readings = read_all(sentence, default, reporting)
    return readings[0] if readings else None


def read_all(sentence, default="acme", reporting=None):
    mentions = INDEX.mentions(sentence, default)
    found_dates = when.find_dates(sentence, BASE, reporting=reporting)
    skip = [(m.start, m.end) for m in mentions if any(c.isdigit() for c in m.text)] + [(d.start, d.end) for d in found_dates]
    amounts = find_amounts(sentence, skip)
    own = [d for d in found_dates if not d.comparison]
    facts = classify.Sentence(sentence, amounts, mentions, INDEX, default)
    return classify.read_all(facts, dated=bool(own), future=any(d.span.valid_to > BASE for d in own), figure_notes=True)


@pytest.mark.parametrize("sentence,kind,metric", [
    ("Total revenue for the quarter was $84.2 million, an increase of 12% year-over-year.", "financial_result", "revenue"),
    ("Gross margin was 21.5% in the third quarter of 2025.", "financial_result", "gross_margin"),
    ("Net loss narrowed to $3.1 million in the third quarter of 2025.", "financial_result", "net_loss"),
    ("Software license revenue came in at $7 million.", "financial_result", "revenue_software"),
    ("As of September 30, 2025, cash and cash equivalents were $310 million.", "financial_result", "cash"),
    ("Adjusted EBITDA loss was $12 million.", "financial_result", "adjusted_ebitda"),
    ("Acme shipped 42,000 units in the quarter.", "operating_metric", "shipments"),
    ("Acme delivered 6,500 vehicles in 2024.", "operating_metric", "deliveries"),
    ("Our technology now runs in over 2 million vehicles on the road.", "operating_metric", "vehicles_cumulative"),
    ("The company expects full-year 2026 revenue of $400 million.", "guidance", "revenue"),
    ("We remain on track to reach profitability in 2027.", "guidance", "net_income"),
    ("Acme launched the Orbit platform in October 2025.", "launch", None),
    ("In September, Acme opened a new R&D center in Munich.", "facility_opening", None),
    ("Acme is headquartered in Singapore.", "headquarters", None),
    ("Acme has invested US$40 million in Globex Holdings.", "investment", None),
    ("Acme will subscribe for 5,000,000 newly issued shares of Globex.", "investment", None),
    ("Acme raised $50 million in a Series C funding round in May 2025.", "funding", None),
    ("Acme obtained ISO 26262 ASIL-D certification in August 2025.", "certification", None),
    ("Acme partnered with Globex in July 2025 to jointly develop battery systems.", "partnership", None),
    ("Discussions are underway with Globex for additional projects.", "partnership", None),
    ("Acme won a supply contract from Globex with a lifetime value of $250 million.", "contract_win", None),
    ("The Orbit platform secured a design win with a leading European automaker in the quarter.", "design_win", None),
    ("Acme received the Innovation Award from Globex in May 2025.", "award", None),
    ("Acme was founded in 2014 by Jane Doe.", "founding", None),
    ("Jane Doe, Chief Executive Officer of Acme, spoke at the event.", "leadership", None),
    ("Shares of Acme (Nasdaq: ACMO) rose on the news.", "listing", None),
    ("Globex is the majority owner of Acme.", "ownership", None),
    ("Acme counts Globex as a customer.", "customer", None),
    ("Loss per share was $0.84 in the third quarter of 2025.", "financial_result", "eps"),
    ("Operating expenses increased 12% year-over-year.", "note", "operating_expenses"),
])
def test_kind_rules(sentence, kind, metric):
    reading = read(sentence)
    assert reading is not None, sentence
    assert (reading.kind, reading.metric) == (kind, metric)


@pytest.mark.parametrize("sentence", [
    "Thank you for joining the call.",
    "What is your outlook for margins next year?",
    "This press release contains forward-looking statements.",
    "We remain excited about the opportunity.",
    "The launch was an important one for us.",                 # a launch without a date is commentary
    "Our cooperation with Globex is very important.",           # so is a partnership noun
    "My second question is on the growth in revenue in 2025.",  # a question, however it ends
    "These certifications open doors with automakers.",         # no standard named
])
def test_sentences_that_state_no_fact(sentence):
    assert read(sentence) is None


@pytest.mark.parametrize("sentence,entity,counterparty", [
    ("Acme has invested US$40 million in Globex Holdings.", "acme", "globex"),
    ("Globex is the majority owner of Acme.", "acme", "globex"),
    ("Globex is using Acme's Orbit platform in its cars.", "acme", "globex"),   # the document's company supplies
    ("We partnered with Globex in June.", "acme", "globex"),
    ("Jane Doe, Chief Executive Officer of Acme, spoke.", "acme", "jane-doe"),
])
def test_entity_and_counterparty(sentence, entity, counterparty):
    reading = read(sentence)
    assert (reading.entity.key, reading.counterparty.key if reading.counterparty else None) == (entity, counterparty)


def test_loss_figures_and_changes_have_signs():
    reading = read("Adjusted EBITDA loss was $12 million, down 5% year-over-year.")
    assert reading.attributes["value"] == {"amount": -12000000, "unit": "USD"}
    assert reading.attributes["change_yoy"] == {"amount": -5, "unit": "percent"}
    assert reading.attributes["basis"] == "non-GAAP"


def test_each_figure_of_the_sentence_is_a_reading():
    readings = read_all("Gross profit was $30 million, which translates into a gross margin of 23%.")
    assert [(r.metric, r.attributes["value"]["amount"]) for r in readings] == [("gross_profit", 30000000), ("gross_margin", 23)]
    assert all(any("one of 2 figures" in doubt for doubt in r.doubts) for r in readings)
