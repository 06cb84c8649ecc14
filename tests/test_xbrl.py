"""Numbers from filings: `timeline ingest xbrl` reads SEC companyfacts documents.

The documents here are written for the tests in the layout the SEC publishes
(https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json: cik, entityName,
facts -> taxonomy -> concept -> label, description, units -> unit -> [{start?, end,
val, accn, fy, fp, form, filed, frame?}]), with the traps real documents have:
comparatives repeated by later filings, restatements, amendments, quarterly and
year-to-date durations from one 10-Q, instants, several concepts for one metric,
a convenience translation, per-share and share units, IFRS and dei.
"""
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from timeline import Timeline, TimelineError
from timeline import xbrl

from .conftest import ROOT, Cli, write_corpus

CIK = 1234567
Q2_10Q = "0001234567-25-000031"
Q2_10QA = "0001234567-25-000040"
Q3_10Q = "0001234567-25-000052"
K_2024 = "0001234567-25-000008"


def fact(val, end, accn, form, filed, fy, fp, start=None, frame=None):
    """One record, its keys in the order the SEC writes them."""
    record = {"start": start} if start else {}
    record.update(end=end, val=val, accn=accn, fy=fy, fp=fp, form=form, filed=filed)
    if frame:
        record["frame"] = frame
    return record


def concept(label, **units):
    return {"label": label, "description": f"{label}, as the taxonomy defines it.",
            "units": {unit.replace("_per_", "/"): records for unit, records in units.items()}}


def companyfacts(facts, cik=CIK, name="ACME MOTORS INC."):
    return {"cik": cik, "entityName": name, "facts": facts}


def acme_facts(with_later_filings=True):
    """Acme's US GAAP filings: the 10-K for 2024, the Q2 2025 10-Q, its 10-Q/A, the Q3 10-Q."""
    k24 = dict(accn=K_2024, form="10-K", filed="2025-02-20", fy=2024, fp="FY")
    q2 = dict(accn=Q2_10Q, form="10-Q", filed="2025-09-10", fy=2025, fp="Q2")
    q2a = dict(accn=Q2_10QA, form="10-Q/A", filed="2025-10-20", fy=2025, fp="Q2")
    q3 = dict(accn=Q3_10Q, form="10-Q", filed="2025-11-10", fy=2025, fp="Q3")
    revenues = [
        fact(600000000, "2023-12-31", start="2023-01-01", frame="CY2023", **k24),
        fact(640000000, "2024-12-31", start="2024-01-01", frame="CY2024", **k24),
        fact(172900000, "2024-06-30", start="2024-04-01", **q2),                   # comparative
        fact(330000000, "2024-06-30", start="2024-01-01", **q2),                   # comparative, year to date
        fact(155634000, "2025-06-30", start="2025-04-01", **q2),                   # Q2: 3 months
        fact(301200000, "2025-06-30", start="2025-01-01", **q2),                   # H1: 6 months to date
    ]
    cash = [
        fact(110000000, "2023-12-31", frame="CY2023Q4I", **k24),
        fact(120000000, "2024-12-31", **k24),
        fact(120000000, "2024-12-31", frame="CY2024Q4I", **q2),                    # comparative
        fact(99200000, "2025-06-30", frame="CY2025Q2I", **q2),
    ]
    eps = [fact(-0.12, "2025-06-30", start="2025-04-01", **q2), fact(-0.2, "2025-06-30", start="2025-01-01", **q2)]
    net_income = [fact(-24000000, "2025-06-30", start="2025-04-01", **q2)]
    if with_later_filings:
        revenues += [
            fact(172900000, "2024-06-30", start="2024-04-01", **q2a),              # repeated unchanged
            fact(155934000, "2025-06-30", start="2025-04-01", frame="CY2025Q2", **q2a),  # restated
            fact(301500000, "2025-06-30", start="2025-01-01", **q2a),              # restated
            fact(160000000, "2025-09-30", start="2025-07-01", frame="CY2025Q3", **q3),
            fact(461500000, "2025-09-30", start="2025-01-01", **q3),               # 9 months to date
        ]
        cash += [fact(99200000, "2025-06-30", **q3), fact(87000000, "2025-09-30", frame="CY2025Q3I", **q3)]
    return {
        "dei": {
            "EntityCommonStockSharesOutstanding": concept(
                "Entity Common Stock, Shares Outstanding",
                shares=[fact(201000000, "2025-08-31", **q2)] + ([fact(203500000, "2025-10-31", **q3)]
                                                               if with_later_filings else [])),
        },
        "us-gaap": {
            "Revenues": concept("Revenues", USD=revenues),
            # a narrower concept the same metric lists later: the period is taken from Revenues
            "RevenueFromContractWithCustomerExcludingAssessedTax": concept(
                "Revenue from Contract with Customer, Excluding Assessed Tax",
                USD=[fact(150100000, "2025-06-30", start="2025-04-01", **q2)]),
            "CashAndCashEquivalentsAtCarryingValue": concept(
                "Cash and Cash Equivalents, at Carrying Value",
                USD=cash + [fact(5000000, "2025-06-30", start="2025-04-01", **q2)]),  # a duration: not a level
            "EarningsPerShareDiluted": concept(
                "Earnings Per Share, Diluted", USD_per_shares=eps,
                USD=[fact(-0.12, "2025-06-30", start="2025-04-01", **q2)]),          # a unit that does not fit
            "NetIncomeLoss": concept("Net Income (Loss) Attributable to Parent", USD=net_income),
            "AccountsPayableCurrent": concept(
                "Accounts Payable, Current", USD=[fact(41000000, "2025-06-30", **q2)]),
        },
    }


def write(path, document):
    path = Path(path)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def acme_doc(tmp_path):
    return write(tmp_path / "CIK0001234567.json", companyfacts(acme_facts()))


@pytest.fixture
def timeline(tmp_path):
    """The small test corpus (curated: Acme's Q2 2025 revenue of 155.6 million, its cash of 99.2 million)."""
    tl = Timeline.init(str(tmp_path / "timeline.db"))
    tl.import_paths([write_corpus(tmp_path / "events")])
    return tl


def filed_events(tl, entity="acme"):
    return {e.event_id: e for e in tl.log(entity) if "/xbrl" in e.event_id}


# ---- one event per distinct fact, citing its filing ----

def test_each_distinct_fact_is_one_event_citing_the_earliest_filing_that_reported_it(timeline, acme_doc):
    report = timeline.ingest_xbrl(acme_doc)
    events = filed_events(timeline)
    fy2024 = events["acme/2024/revenue/xbrl"]
    assert (fy2024.valid_from, fy2024.valid_to, fy2024.precision, fy2024.reported_on, fy2024.source_key) == \
        ("2024-01-01", "2024-12-31", "year", "2025-02-20", f"sec-{CIK}-{K_2024}")
    assert fy2024.attributes == {"metric": "revenue", "value": {"amount": 640000000, "unit": "USD"}}
    assert fy2024.kind == "financial_result" and fy2024.status == "current"
    assert fy2024.quote == f"XBRL us-gaap:Revenues [USD] 2024-01-01/2024-12-31 = 640000000 (accession {K_2024}, 10-K)"
    assert fy2024.summary == "Acme Motors Inc.: Revenue for 2024 was 640,000,000 USD (10-K filed 2025-02-20)."
    # the 2024 year-end cash: in the 10-K, repeated as a comparative by the Q2 10-Q: once, first reported by the 10-K
    cash = events["acme/2024-12-31/cash/xbrl"]
    assert (cash.valid_from, cash.valid_to, cash.precision, cash.reported_on) == ("2024-12-31", "2024-12-31", "day",
                                                                                  "2025-02-20")
    assert [e for e in events if e.startswith("acme/2024-12-31/cash")] == ["acme/2024-12-31/cash/xbrl"]
    # one source per filing cited, described as the filing
    source = next(s for s in timeline.sources() if s.key == f"sec-{CIK}-{Q2_10Q}")
    assert (source.title, source.document_type, source.published_on, source.url) == (
        "ACME MOTORS INC., Form 10-Q filed 2025-09-10", "filing", "2025-09-10",
        f"https://www.sec.gov/Archives/edgar/data/{CIK}/000123456725000031/{Q2_10Q}-index.htm")
    assert report.filings == 4 and {s.key for s in timeline.sources() if s.key.startswith("sec-")} == {
        f"sec-{CIK}-{accn}" for accn in (K_2024, Q2_10Q, Q2_10QA, Q3_10Q)}
    assert all(len(e.quote) <= 300 for e in events.values())
    assert timeline.verify().ok


def test_a_10q_gives_its_quarter_and_its_year_to_date_as_two_figures(timeline, acme_doc):
    timeline.ingest_xbrl(acme_doc)
    events = filed_events(timeline)
    spans = {(e.valid_from, e.valid_to, e.precision, e.period) for e in events.values()
             if e.attributes["metric"] == "revenue" and e.reported_on == "2025-11-10"}
    assert spans == {("2025-07-01", "2025-09-30", "quarter", "Q3 2025"),
                     ("2025-01-01", "2025-09-30", "day", "2025-01-01 to 2025-09-30")}
    assert "acme/2025-01-01-to-2025-09-30/revenue/xbrl" in events
    assert events["acme/2025-h1/revenue/xbrl"].precision == "half"
    state = timeline.state("acme").state
    # the quarter and the half are the latest of their kind; nine months to date never stand for a quarter
    assert state["revenue/quarter"].event == "acme/2025-q3/revenue/xbrl"
    assert state["revenue/half"].event == "acme/2025-h1/revenue/xbrl/v2"
    assert state["revenue"].event == "acme/2025-01-01-to-2025-09-30/revenue/xbrl"
    assert state["revenue/year"].event == "acme/2024/revenue/xbrl"


def test_instants_are_levels_and_a_period_of_the_wrong_type_is_skipped(timeline, acme_doc):
    report = timeline.ingest_xbrl(acme_doc)
    state = timeline.state("acme").state
    assert (state["cash"].value, state["cash"].period, state["cash"].event) == (87000000, "2025-09-30",
                                                                               "acme/2025-09-30/cash/xbrl")
    assert report.skipped["period_type"] == 1  # the 3-month "cash" duration
    assert not any("cash" in e and "-to-" in e for e in filed_events(timeline))


def test_units_per_share_shares_and_a_unit_that_does_not_fit(tmp_path, timeline, acme_doc):
    timeline.add_metric("shares_outstanding", "Shares outstanding", "count", "stock",
                        xbrl=["dei:EntityCommonStockSharesOutstanding"])
    report = timeline.ingest_xbrl(acme_doc)
    events = filed_events(timeline)
    eps = events["acme/2025-q2/eps/xbrl"]
    assert eps.attributes["value"] == {"amount": -0.12, "unit": "USD/share"}
    assert eps.quote == f"XBRL us-gaap:EarningsPerShareDiluted [USD/shares] 2025-04-01/2025-06-30 = -0.12 " \
                        f"(accession {Q2_10Q}, 10-Q)"
    shares = events["acme/2025-10-31/shares_outstanding/xbrl"]
    assert (shares.kind, shares.attributes["value"]) == ("financial_result", {"amount": 203500000, "unit": "shares"})
    assert report.skipped["unit"] == 1 and report.skipped_units == {"USD": 1}  # EPS in USD: not a per-share unit
    loss = events["acme/2025-q2/net_income/xbrl"]
    assert loss.attributes["value"]["amount"] == -24000000  # a loss is a negative net income, as filed


def test_the_first_concept_of_a_metric_wins_and_the_citation_names_it(timeline, acme_doc):
    report = timeline.ingest_xbrl(acme_doc)
    q2 = filed_events(timeline)["acme/2025-q2/revenue/xbrl"]
    assert q2.quote.startswith("XBRL us-gaap:Revenues [USD] 2025-04-01/2025-06-30 = 155634000 ")
    assert report.skipped["other_concept"] == 1  # RevenueFromContractWithCustomer… for the same quarter


# ---- restatements and amendments ----

def test_a_different_value_in_a_later_filing_is_a_restatement_that_supersedes(timeline, acme_doc):
    report = timeline.ingest_xbrl(acme_doc)
    events = filed_events(timeline)
    first, restated = events["acme/2025-q2/revenue/xbrl"], events["acme/2025-q2/revenue/xbrl/v2"]
    assert (first.status, first.changed_by) == ("superseded", restated.event_id)
    assert (restated.supersedes, restated.reported_on, restated.source_key) == (first.event_id, "2025-10-20",
                                                                                 f"sec-{CIK}-{Q2_10QA}")
    assert restated.summary == ("Acme Motors Inc.: Revenue for Q2 2025 restated to 155,934,000 USD "
                                "(was 155,634,000 USD) in the 10-Q/A filed 2025-10-20.")
    assert restated.reason == f"restated in the 10-Q/A filed 2025-10-20 (accession {Q2_10QA})"
    assert restated.quote.endswith(f"= 155934000 (accession {Q2_10QA}, 10-Q/A)")
    assert report.restatements == 2  # the quarter and the half-year to date
    # the comparative the 10-Q/A repeats unchanged adds nothing
    assert "acme/2024-q2/revenue/xbrl/v2" not in events
    history = [(h.event, h.amount, h.reported_on, h.status, h.first_reported, h.latest)
               for h in timeline.history("acme", "revenue") if h.period == "Q2 2025"]
    assert history == [
        ("acme/2025-q2/revenue", 155600000, "2025-09-08", "current", True, False),  # curated, from the press release
        ("acme/2025-q2/revenue/xbrl", 155634000, "2025-09-10", "superseded", False, False),
        ("acme/2025-q2/revenue/xbrl/v2", 155934000, "2025-10-20", "current", False, True),
    ]


@pytest.mark.parametrize("known_at, event, value", [
    ("2025-09-09", "acme/2025-q2/revenue", 155600000),         # the press release alone
    ("2025-09-10", "acme/2025-q2/revenue/xbrl", 155634000),    # the day of the 10-Q
    ("2025-10-19", "acme/2025-q2/revenue/xbrl", 155634000),
    ("2025-10-20", "acme/2025-q2/revenue/xbrl/v2", 155934000),  # the day of the 10-Q/A
])
def test_known_at_any_filing_date_answers_as_the_record_stood(timeline, acme_doc, known_at, event, value):
    timeline.ingest_xbrl(acme_doc)
    entry = timeline.state("acme", as_of="2025-06-30", known_at=known_at).state["revenue/quarter"]
    assert (entry.event, entry.value) == (event, value)


def test_an_amended_annual_report_restates_an_ifrs_figure(tmp_path, timeline):
    """IFRS (ifrs-full), a 20-F and its 20-F/A, reported in CNY with a USD convenience translation."""
    timeline.add_entity("nova", name="Nova Auto Holdings Ltd", type="company", aliases=["NOVA"])
    f20 = dict(accn="0009876543-25-000011", form="20-F", filed="2025-04-29", fy=2024, fp="FY")
    f20a = dict(accn="0009876543-25-000019", form="20-F/A", filed="2025-06-30", fy=2024, fp="FY")
    document = companyfacts({
        "ifrs-full": {
            "Revenue": concept("Revenue", CNY=[
                fact(4800000000, "2023-12-31", start="2023-01-01", **f20),
                fact(5553000000, "2024-12-31", start="2024-01-01", **f20),
                fact(5561000000, "2024-12-31", start="2024-01-01", **f20a),
            ], USD=[fact(760800000, "2024-12-31", start="2024-01-01", **f20)]),
            "ProfitLoss": concept("Profit (loss)", CNY=[fact(-1100000000, "2024-12-31", start="2024-01-01", **f20)]),
            "ProfitLossAttributableToOwnersOfParent": concept(
                "Profit (loss), attributable to owners of parent",
                CNY=[fact(-1050000000, "2024-12-31", start="2024-01-01", **f20)]),
            "DilutedEarningsLossPerShare": concept("Diluted earnings (loss) per share", CNY_per_shares=[
                fact(-3.12, "2024-12-31", start="2024-01-01", **f20)]),
            "CashAndCashEquivalents": concept("Cash and cash equivalents", CNY=[
                fact(2100000000, "2024-12-31", **f20), fact(2100000000, "2024-12-31", **f20a)]),
        },
        "dei": {"EntityCommonStockSharesOutstanding": concept("Entity Common Stock, Shares Outstanding", shares=[
            fact(350000000, "2025-03-31", **f20)])},
    }, cik=9876543, name="Nova Auto Holdings Ltd")
    report = timeline.ingest_xbrl(write(tmp_path / "nova.json", document))
    events = filed_events(timeline, "nova")
    assert events["nova/2024/revenue/xbrl"].attributes["value"] == {"amount": 5553000000, "unit": "CNY"}
    restated = events["nova/2024/revenue/xbrl/v2"]
    assert (restated.attributes["value"], restated.reported_on, restated.supersedes) == (
        {"amount": 5561000000, "unit": "CNY"}, "2025-06-30", "nova/2024/revenue/xbrl")
    assert restated.summary == ("Nova Auto Holdings Ltd: Revenue for 2024 restated to 5,561,000,000 CNY "
                                "(was 5,553,000,000 CNY) in the 20-F/A filed 2025-06-30.")
    assert report.skipped == {"other_concept": 1, "other_unit": 1}  # attributable-to-parent; the USD translation
    assert events["nova/2024/net_income/xbrl"].quote.startswith("XBRL ifrs-full:ProfitLoss [CNY] ")
    assert events["nova/2024/eps/xbrl"].attributes["value"] == {"amount": -3.12, "unit": "CNY/share"}
    assert "nova/2024-12-31/cash/xbrl/v2" not in events  # the amendment repeats it unchanged
    assert report.unmapped_concepts == ["dei:EntityCommonStockSharesOutstanding"]
    assert (report.added, report.restatements, report.unchanged) == (6, 1, 1)


# ---- idempotence and growth ----

def test_reingesting_the_same_document_changes_nothing(timeline, acme_doc):
    first = timeline.ingest_xbrl(acme_doc)
    before = timeline.export()
    again = timeline.ingest_xbrl(acme_doc)
    assert timeline.export() == before
    assert (again.added, again.restatements, again.filings) == (0, 0, 0)
    assert again.unchanged == first.unchanged + first.added


def test_a_newer_document_adds_only_what_is_new_and_ends_where_one_reading_would(tmp_path, acme_doc):
    older = write(tmp_path / "older.json", companyfacts(acme_facts(with_later_filings=False)))
    stepwise = Timeline.init(str(tmp_path / "a.db"))
    stepwise.import_paths([write_corpus(tmp_path / "events")])
    stepwise.ingest_xbrl(older)
    before = {e.event_id for e in stepwise.log()}
    newer = stepwise.ingest_xbrl(acme_doc)
    after = {e.event_id for e in stepwise.log()}
    assert set(newer.event_ids) == after - before and newer.restatements == 2
    at_once = Timeline.init(str(tmp_path / "b.db"))
    at_once.import_paths([tmp_path / "events"])
    at_once.ingest_xbrl(acme_doc)

    def content(tl):
        return sorted((e.event_id, e.summary, e.quote, json.dumps(e.attributes), e.reported_on, e.status, e.source_key)
                      for e in tl.log())
    assert content(stepwise) == content(at_once)


def test_every_fact_read_is_counted_once(timeline, acme_doc):
    report = timeline.ingest_xbrl(acme_doc)
    assert report.facts == sum(len(records) for concepts in acme_facts().values() for c in concepts.values()
                               for records in c["units"].values())
    assert report.facts == report.added + report.unchanged + sum(report.skipped.values()) + report.unmapped_facts
    assert report.unmapped_concepts == ["dei:EntityCommonStockSharesOutstanding", "us-gaap:AccountsPayableCurrent"]
    assert report.added == len(report.event_ids) == len(filed_events(timeline))


def test_a_filed_event_a_curator_retracted_is_left_alone(timeline, acme_doc):
    timeline.ingest_xbrl(acme_doc)
    timeline.retract("acme/2025-q3/revenue/xbrl", "tagged with the wrong period")
    before = timeline.export()
    report = timeline.ingest_xbrl(acme_doc)
    assert timeline.export() == before and report.skipped["held"] == 1


# ---- choosing what to read ----

def test_concepts_option_limits_the_reading(timeline, acme_doc):
    report = timeline.ingest_xbrl(acme_doc, concepts="us-gaap:Revenues")
    assert {e.attributes["metric"] for e in filed_events(timeline).values()} == {"revenue"}
    assert report.skipped["not_selected"] == 12


@pytest.mark.parametrize("concepts, message", [
    ("us-gaap:AccountsPayableCurrent", "--concepts: us-gaap:AccountsPayableCurrent is not mapped to any metric"),
    ("us-gaap:Revenue", "did you mean 'us-gaap:Revenues'"),
    ("Revenues", "--concepts: 'Revenues' is not a concept like us-gaap:Revenues"),
    (" , ", "--concepts is empty"),
])
def test_concepts_option_refuses_what_it_cannot_read(timeline, acme_doc, concepts, message):
    before = timeline.export()
    with pytest.raises(TimelineError, match=message.replace("(", r"\(").replace(")", r"\)")):
        timeline.ingest_xbrl(acme_doc, concepts=concepts)
    assert timeline.export() == before


def test_the_entity_is_found_by_the_documents_name_or_given(tmp_path, timeline, acme_doc):
    assert timeline.ingest_xbrl(acme_doc).entity == "acme"  # "ACME MOTORS INC." is the registry's Acme Motors Inc.
    other = write(tmp_path / "other.json", companyfacts(acme_facts(), name="Acme Motors Holdings plc"))
    with pytest.raises(TimelineError, match=r"the document is about 'Acme Motors Holdings plc' \(CIK 1234567\), which "
                                            r"the registry does not know by that name: give --entity KEY, or add it "
                                            r"with `timeline entity add KEY --name 'Acme Motors Holdings plc'"):
        timeline.ingest_xbrl(other)
    assert timeline.ingest_xbrl(other, entity="ACME").added == 0  # an alias; the same figures, already held


# ---- the CLI, on every backend ----

def test_the_cli_ingests_reports_and_compares(cli, corpus, acme_doc):
    cli.ok("import", corpus)
    out = cli.ok("ingest", "xbrl", acme_doc)
    assert out.splitlines()[:2] == [
        "ACME MOTORS INC. (CIK 1234567) as acme: 26 facts read",
        "  added 17 events (2 restatements) citing 4 new filings; 3 facts unchanged"]
    assert "  unmapped: 2 concepts, 3 facts (dei:EntityCommonStockSharesOutstanding, us-gaap:AccountsPayableCurrent)" in out
    assert "  skipped 1 fact in units that do not fit their metric (USD 1)" in out
    again = json.loads(cli.ok("ingest", "xbrl", acme_doc, "--json"))
    assert (again["added"], again["unchanged"], again["entity"]) == (0, 20, "acme")
    history = cli.ok("history", "acme", "revenue")
    assert ("Q2 2025      155,934,000 USD              reported 2025-10-20  latest                 "
            "acme/2025-q2/revenue/xbrl/v2") in history
    assert "155,634,000 USD              reported 2025-09-10  superseded" in history
    known = cli.ok("show", "acme", "--known-at", "2025-09-10")
    assert "revenue/quarter                    155,634,000 USD" in known
    compared = cli.ok("compare", "acme").splitlines()
    assert compared[0].split() == ["cash", "2025-06-30", "curated", "99,200,000", "USD", "filed", "99,200,000", "USD",
                                   "agree"]
    assert compared[2].split()[:9] == ["revenue", "Q2", "2025", "curated", "155,600,000", "USD", "filed",
                                       "155,934,000", "USD"]
    assert compared[2].endswith("differ by 334,000 USD")
    assert json.loads(cli.ok("compare", "acme", "--json"))[1]["agree"] is False
    assert cli.ok("verify").startswith("ok:")


# ---- the comparison ----

def test_compare_pairs_standing_curated_and_filed_figures(timeline, acme_doc):
    assert timeline.compare_filings("acme") == []
    timeline.ingest_xbrl(acme_doc)
    rows = [(r.metric, r.period, r.curated, r.filed, r.difference, r.agree, r.curated_event, r.filed_event)
            for r in timeline.compare_filings("Acme")]
    assert rows == [
        ("cash", "2025-06-30", 99200000, 99200000, 0, True, "acme/2025-06-30/cash", "acme/2025-06-30/cash/xbrl"),
        ("revenue", "Q2 2025", 155600000, 155934000, 334000, False, "acme/2025-q2/revenue",
         "acme/2025-q2/revenue/xbrl/v2"),
    ]
    # as first filed, the quarter agreed with the press release's 155.6 million
    timeline.retract("acme/2025-q2/revenue/xbrl/v2", "checking the amendment")
    revenue = [r for r in timeline.compare_filings("acme") if r.metric == "revenue"]
    assert [(r.filed, r.agree) for r in revenue] == [(155634000, True)]


@pytest.mark.parametrize("curated, qualifier, filed, agree", [
    (155600000, None, 155634000, True),     # 155.6 million, rounded
    (155600000, None, 155650000, True),     # half a unit of the last digit: still 155.6
    (155600000, None, 155660000, False),    # 155.7 million
    (155634000, None, 155634000, True),
    (155634000, None, 155635000, False),
    (0.17, None, 0.172, True),
    (0.17, None, 0.18, False),
    (-624000000, None, -624400000, True),   # a loss
    (1000000000, "over", 1040000000, True),
    (1000000000, "over", 990000000, False),
    (1000000000, "at_least", 1000000000, True),
    (50, "under", 49, True),
    (50, "up_to", 51, False),
    (20, "about", 19.2, None),
    (0, None, 0, True),
    (0, None, 1, False),
])
def test_agreement_is_the_curated_figure_as_written(curated, qualifier, filed, agree):
    assert xbrl.agrees(curated, qualifier, filed) is agree


def test_the_canned_query_gives_the_comparison_in_the_published_file(tmp_path, timeline, acme_doc):
    from timeline.web.plugin import prepare_connection
    import yaml
    timeline.ingest_xbrl(acme_doc)
    timeline.add("acme", "financial_result", "2024", "Acme reported 2024 revenue of over US$600 million.",
                 "Revenue for the year was over $600 million.", "acme-q2-2025",
                 attrs=["revenue=over 600 million USD"])
    timeline.add("acme", "financial_result", "as of September 30, 2025", "Acme held about 90 million in cash.",
                 "Cash stood at about $90 million.", "acme-q2-2025", attrs=["cash=about 90 million USD"])
    timeline.add("acme", "financial_result", "the first half of 2025", "Acme's H1 revenue was RMB 2.2 billion.",
                 "First-half revenue was RMB 2.2 billion.", "acme-q2-2025", attrs=["revenue=2.2 billion CNY"])
    expected = [r.to_dict() for r in timeline.compare_filings("acme")]
    assert [(r["metric"], r["period"], r["agree"]) for r in expected] == [
        ("cash", "2025-06-30", True), ("cash", "2025-09-30", None),
        ("revenue", "2024", True), ("revenue", "H1 2025", None), ("revenue", "Q2 2025", False)]
    timeline.publish(tmp_path / "site.db")
    import sqlalchemy as sa
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'site.db'}")
    with engine.connect() as published:  # what the entity page will call, on the published file
        assert [r.to_dict() for r in xbrl.compare(published, "acme")] == expected
    engine.dispose()
    sql = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["timeline"][
        "queries"]["filed_vs_curated"]["sql"]
    conn = sqlite3.connect(tmp_path / "site.db")
    conn.row_factory = sqlite3.Row
    prepare_connection(conn)
    try:
        for name in ("acme", "Acme Motors Inc.", ""):
            rows = [dict(row) for row in conn.execute(sql, {"entity": name})]
            assert [(r["curated_event"], r["filed_event"]) for r in rows] == \
                [(r["curated_event"], r["filed_event"]) for r in expected]
            for row, want in zip(rows, expected):
                assert row["agree"] == (None if want["agree"] is None else int(want["agree"]))
                assert (row["curated"], row["filed"], row["difference"], row["period"]) == \
                    (want["curated"], want["filed"], want["difference"], want["period"])
        assert list(conn.execute(sql, {"entity": "nobody"})) == []
    finally:
        conn.close()


# ---- bad input: one Error: line, nothing changed ----

def bad_documents():
    good = companyfacts(acme_facts())

    def altered(change):
        document = json.loads(json.dumps(good))
        change(document)
        return json.dumps(document)

    revenue = lambda d: d["facts"]["us-gaap"]["Revenues"]["units"]["USD"][0]  # noqa: E731
    text = json.dumps(good)
    return [
        ("truncated", text[: len(text) // 2], "not valid JSON (line 1 column"),
        ("empty", "", "not valid JSON"),
        ("not json", "cik,entityName\n1234567,ACME\n", "not valid JSON"),
        ("a list", "[1, 2]", "not an SEC companyfacts document (the JSON is not an object)"),
        ("frames", json.dumps({"taxonomy": "us-gaap", "tag": "Revenues", "ccp": "CY2024", "uom": "USD", "data": []}),
         "not an SEC companyfacts document: a frames document (one concept across companies), not companyfacts"),
        ("concept", json.dumps({"cik": CIK, "taxonomy": "us-gaap", "tag": "Revenues", "units": {}}),
         "a companyconcept document (one concept of one company), not companyfacts"),
        ("no cik", altered(lambda d: d.pop("cik")), "cik None is not a CIK number"),
        ("facts not object", altered(lambda d: d.update(facts=[])), "'facts' is not an object"),
        ("units missing", altered(lambda d: d["facts"]["us-gaap"]["Revenues"].pop("units")),
         "facts.us-gaap.Revenues has no 'units' object"),
        ("huge", altered(lambda d: revenue(d).update(val=10**19)),
         "facts.us-gaap.Revenues.units.USD[0]: val 10000000000000000000 is not a finite number of at most 10^18"),
        ("huge float", text.replace('"val": 640000000', '"val": 6.4e+300'), "val '6.4E+300' is not a finite number"),
        ("nan", text.replace('"val": 640000000', '"val": NaN'), "not valid JSON (NaN is not a number JSON allows)"),
        ("infinity", text.replace('"val": 640000000', '"val": -Infinity'), "not valid JSON (-Infinity is not a number"),
        ("text value", altered(lambda d: revenue(d).update(val="640m")), "val '640m' is not a number"),
        ("no value", altered(lambda d: revenue(d).pop("val")), "val None is not a number"),
        ("bad date", altered(lambda d: revenue(d).update(end="2023-02-30")), "end '2023-02-30' is not a date"),
        ("backwards", altered(lambda d: revenue(d).update(start="2024-01-01")),
         "start 2024-01-01 is after end 2023-12-31"),
        ("bad accession", altered(lambda d: revenue(d).update(accn="1234")), "accn '1234' is not an accession number"),
        ("no filed", altered(lambda d: revenue(d).pop("filed")), "filed None is not a date"),
        ("deep", "[" * 100000 + "]" * 100000, "not valid JSON"),
    ]


@pytest.fixture
def sqlite_cli(sqlite_db, corpus):
    """The CLI on a SQLite file holding the test corpus: reading a document fails before any backend is asked."""
    cli = Cli(sqlite_db)
    cli.ok("import", corpus)
    return cli


@pytest.mark.parametrize("name, text, message", bad_documents(), ids=[b[0] for b in bad_documents()])
def test_bad_documents_are_one_error_and_change_nothing(tmp_path, sqlite_cli, name, text, message):
    from .test_bad_input import assert_refused
    cli = sqlite_cli
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    assert_refused(cli, ["ingest", "xbrl", path], message)


@pytest.mark.parametrize("args, message", [
    (["ingest", "xbrl", "missing.json"], "missing.json: No such file or directory"),
    (["ingest", "xbrl", "{doc}", "--entity", "acmee"], "unknown entity 'acmee' — did you mean 'acme'?"),
    (["ingest", "xbrl", "{doc}", "--concepts", "us-gaap:Nope"], "us-gaap:Nope is not mapped to any metric"),
    (["compare", "nobody"], "unknown entity 'nobody'"),
    (["ingest", "xbrl", "{dir}"], "Is a directory"),
    (["ingest", "xbrl", "/dev/null"], "/dev/null: not a regular file"),
    (["ingest", "xbrl", "doc\ud800.json"], "'doc\\ud800.json': no file can have this name"),
])
def test_bad_arguments_are_one_error_and_change_nothing(sqlite_cli, acme_doc, args, message):
    from .test_bad_input import assert_refused
    fill = {"{doc}": str(acme_doc), "{dir}": str(acme_doc.parent)}
    assert_refused(sqlite_cli, [fill.get(a, a) for a in args], message)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from([["ingest", "xbrl", "{t}"], ["ingest", "xbrl", "{doc}", "--entity", "{t}"],
                                ["ingest", "xbrl", "{doc}", "--concepts", "{t}"], ["compare", "{t}"],
                                ["compare", "{t}", "--json"]]),
       text=st.one_of(st.sampled_from(["", " ", "\ud800", "\x1b[31m", "../../etc/passwd", "ACME", "us-gaap:Revenues",
                                       "all-mapped", "us-gaap:Revenues,", ",", "x" * 5000, "/dev/zero"]),
                      st.text(max_size=30)))
def test_hostile_arguments_fail_cleanly(template, tmp_path, command, text):
    import shutil
    db = tmp_path / "args.db"
    shutil.copy(template, db)
    cli = Cli(db)
    doc = write(tmp_path / "doc.json", companyfacts(acme_facts()))
    before = cli.ok("export")
    result = cli(*[text if part == "{t}" else str(doc) if part == "{doc}" else part for part in command])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        assert cli.ok("verify").startswith("ok:")
        return
    lines = result.stderr.strip().splitlines()
    assert result.exit_code in (1, 2) and len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert cli.ok("export") == before


def test_a_binary_file_is_not_a_document(tmp_path, sqlite_cli):
    from .test_bad_input import assert_refused
    path = tmp_path / "facts.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert_refused(sqlite_cli, ["ingest", "xbrl", path], "not UTF-8 text")


# ---- a real document ----

REAL = ROOT / "documents" / "sec"


@pytest.mark.skipif(not (REAL / "lpa_facts.json").is_file(),
                    reason="documents/sec/lpa_facts.json (a real companyfacts document, not ours to redistribute) "
                           "is not here")
def test_a_real_ifrs_document_with_a_restatement(tmp_path):
    """Logistic Properties of the Americas (CIK 1997711, IFRS, 20-F), the SEC's companyfacts document as
    stored at tests/fixtures/entity/lpa_facts.json in github.com/dgunning/edgartools (commit 3b44ade1,
    July 2025; sha256 f8acc217…2c63).  Its 2022 and 2023 earnings per share were restated by the
    20-F of 2025 (0.048 -> 0.28, 0.019 -> 0.11 USD), after a change in the share count."""
    tl = Timeline.init(str(tmp_path / "timeline.db"))
    tl.add_entity("lpa", name="Logistic Properties of the Americas", type="company")
    report = tl.ingest_xbrl(REAL / "lpa_facts.json")
    assert report.facts == 768
    assert report.facts == report.added + report.unchanged + sum(report.skipped.values()) + report.unmapped_facts
    assert (report.added, report.restatements, report.filings) == (28, 2, 2)
    eps = [(h.period, h.amount, h.reported_on, h.status) for h in tl.history("lpa", "eps") if h.period == "2022"]
    assert eps == [("2022", 0.048, "2024-04-26", "superseded"), ("2022", 0.28, "2025-04-02", "current")]
    assert tl.state("lpa", known_at="2025-01-01").state["eps/year"].value == 0.019
    assert tl.state("lpa", known_at="2025-04-02").state["eps/year"].value == -0.94
    net = tl.state("lpa").state["net_income/year"]
    assert (net.value, net.period) == (-19426051, "2024")  # ifrs-full:ProfitLoss, the first of the metric's list
    before = tl.export()
    assert tl.ingest_xbrl(REAL / "lpa_facts.json").added == 0 and tl.export() == before
    assert tl.verify().ok


@pytest.mark.skipif(not (REAL / "snow_facts.json").is_file(),
                    reason="documents/sec/snow_facts.json (a real companyfacts document, not ours to redistribute) "
                           "is not here")
def test_a_real_us_gaap_document_with_a_fiscal_year_ending_in_january(tmp_path):
    """Snowflake Inc. (CIK 1640147, US GAAP, 10-K and 10-Q, fiscal year ending January 31), the SEC's
    companyfacts document as stored at tests/fixtures/entity/snow_facts.json in
    github.com/dgunning/edgartools (commit 3b44ade1, July 2025; sha256 d6c295ab…e10d)."""
    tl = Timeline.init(str(tmp_path / "timeline.db"))
    tl.add_entity("snowflake", name="Snowflake Inc.", type="company", fiscal_year_end="01-31")
    report = tl.ingest_xbrl(REAL / "snow_facts.json")  # found by its entityName, "SNOWFLAKE INC."
    assert report.facts == 8163 and report.restatements == 0
    assert report.facts == report.added + report.unchanged + sum(report.skipped.values()) + report.unmapped_facts
    revenue = {h.period: h.amount for h in tl.history("snowflake", "revenue")}
    assert revenue["FY2025"] == 3626396000 and revenue["Feb–Apr 2024"] == 828709000
    assert revenue["Feb–Jul 2024"] == 1697532000 and revenue["2024-02-01 to 2024-10-31"] == 2639626000
    assert tl.state("snowflake").state["revenue/quarter"].period == "Feb–Apr 2025"
    assert tl.verify().ok


# ---- hostile documents ----

@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database holding the test corpus, copied for each hostile example."""
    directory = tmp_path_factory.mktemp("xbrl")
    cli = Cli(directory / "template.db")
    cli.ok("init")
    cli.ok("import", write_corpus(directory / "events"))
    return directory / "template.db"


hostile_scalar = st.one_of(
    st.sampled_from(["", "2025-13-01", "0999-12-31", "9999-12-31", "\ud800", "a\x00b", "\u202eevil", "USD", "pure",
                     "USD/shares", "shares", "10-K", "0001234567-25-000031", "NaN", "1e400", "Revenues"]),
    st.text(max_size=12), st.integers(), st.integers(min_value=10**17, max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none())
hostile_value = st.recursive(hostile_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=8)
FACT_FIELDS = ["start", "end", "val", "accn", "fy", "fp", "form", "filed", "frame", "extra"]


@st.composite
def hostile_document(draw):
    document = companyfacts(acme_facts())
    records = [(taxonomy, name, unit, record) for taxonomy, concepts in document["facts"].items()
               for name, spec in concepts.items() for unit, facts in spec["units"].items() for record in facts]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.sampled_from(["fact", "fact", "fact", "unit", "concept"]))
        taxonomy, name, unit, record = draw(st.sampled_from(records))
        if where == "fact":
            field = draw(st.sampled_from(FACT_FIELDS))
            if draw(st.booleans()):
                record.pop(field, None)
            else:
                record[field] = draw(hostile_value)
            continue
        concepts = document["facts"][taxonomy]
        if name not in concepts or unit not in concepts[name]["units"]:
            continue  # renamed by an earlier step
        if where == "unit":
            units = concepts[name]["units"]
            units[draw(hostile_scalar.map(str))] = units.pop(unit)
        else:
            concepts[draw(st.sampled_from(["Revenues", "ifrs-full", "", "Revenues\x00"]) | st.text(max_size=8))] = \
                concepts.pop(name)
    if draw(st.booleans()):
        document[draw(st.sampled_from(["cik", "entityName", "facts"]))] = draw(hostile_value)
    return document


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(document=hostile_document())
def test_hostile_documents_fail_cleanly_or_verify(template, tmp_path, document):
    """A document altered anywhere — types, dates, huge and odd numbers, lone surrogates, control
    characters, unit and concept names — ingests into a log that verifies, or is one Error: line
    and changes nothing."""
    import shutil
    db = tmp_path / "hostile.db"
    shutil.copy(template, db)
    cli = Cli(db)
    path = write(tmp_path / "doc.json", document)  # json.dumps: a surrogate travels as a \ud800 escape
    before = cli.ok("export")
    result = cli("ingest", "xbrl", path, "--entity", "acme")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert cli.ok("verify").startswith("ok:")
        result.stdout.encode("utf-8")  # printable: no lone surrogate reached the summary
        return
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert cli.ok("export") == before


# ---- the README's worked example ----

def test_the_readme_worked_example_runs_as_written(tmp_path, monkeypatch):
    """Every command of README.md's "Numbers from filings" example, and exactly the output it shows."""
    import re
    import shlex
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("A worked example with `docs/examples/acme-companyfacts.json`", 1)[1]
    block = block.split("```\n", 2)[1]
    steps = []
    for line in block.splitlines():
        if line.startswith("$ timeline "):
            steps.append((re.sub(r"\s{2,}#.*$", "", line[len("$ timeline "):]), []))
        elif line.strip():
            steps[-1][1].append(line)
    assert [command.split()[0] for command, _ in steps] == ["init", "entity", "source", "add", "add", "ingest",
                                                          "history", "show", "compare"]
    monkeypatch.chdir(ROOT)  # the example names docs/examples/… from the top of the repository
    cli = Cli(tmp_path / "timeline.db")
    for command, shown in steps:
        out = cli.ok(*shlex.split(command))
        if command != "init":  # init names the database file
            assert [line.rstrip() for line in out.splitlines()] == shown, command


def test_two_fiscal_years_ending_in_the_same_year_keep_apart(tmp_path, timeline):
    """After a change of year end, a 20-F can report the fiscal year to January 2025 and the one to
    June 2025: both are "FY2025", so the second is named by its dates, now and when read again."""
    old = dict(accn="0001234567-25-000010", form="10-K", filed="2025-03-20", fy=2024, fp="FY")
    new = dict(accn="0001234567-25-000070", form="10-KT", filed="2025-09-01", fy=2025, fp="FY")
    first = companyfacts({"us-gaap": {"Revenues": concept("Revenues", USD=[
        fact(700000000, "2025-01-31", start="2024-02-01", **old)])}})
    both = companyfacts({"us-gaap": {"Revenues": concept("Revenues", USD=[
        fact(700000000, "2025-01-31", start="2024-02-01", **old),
        fact(720000000, "2025-06-30", start="2024-07-01", **new),
        fact(690000000, "2024-06-30", start="2023-07-01", **new)])}})
    timeline.ingest_xbrl(write(tmp_path / "first.json", first))
    report = timeline.ingest_xbrl(write(tmp_path / "both.json", both))
    assert sorted(report.event_ids) == ["acme/2024-07-01-to-2025-06-30/revenue/xbrl", "acme/fy2024/revenue/xbrl"]
    events = filed_events(timeline)
    assert (events["acme/fy2025/revenue/xbrl"].valid_to, events["acme/fy2025/revenue/xbrl"].period) == \
        ("2025-01-31", "FY2025")
    assert events["acme/2024-07-01-to-2025-06-30/revenue/xbrl"].period == "FY2025"
    assert timeline.ingest_xbrl(write(tmp_path / "both.json", both)).added == 0
