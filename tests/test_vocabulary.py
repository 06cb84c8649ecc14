"""Quantities as people write them, read by the vocabulary: a table of examples."""
import pytest

from timeline import TimelineError, vocabulary

WORDS = vocabulary.builtin()


@pytest.mark.parametrize("text, quantity", [
    ("155.6 million USD", {"amount": 155600000, "unit": "USD"}),
    ("RMB1.3 billion", {"amount": 1300000000, "unit": "CNY"}),
    ("31%", {"amount": 31, "unit": "percent"}),
    ("-10%", {"amount": -10, "unit": "percent"}),
    ("over $1bn", {"amount": 1000000000, "unit": "USD", "qualifier": "over"}),
    ("more than 1,000 stores", {"amount": 1000, "unit": "stores", "qualifier": "over"}),
    ("approximately $200 million", {"amount": 200000000, "unit": "USD", "qualifier": "about"}),
    ("0.17 USD/share", {"amount": 0.17, "unit": "USD/share"}),
    ("$(0.04) per diluted share", {"amount": -0.04, "unit": "USD/share"}),
    ("SEK 1.41 per share", {"amount": 1.41, "unit": "SEK/share"}),
    ("SEK –0.4 bn", {"amount": -400000000, "unit": "SEK"}),
    ("C$23.6 million", {"amount": 23600000, "unit": "CAD"}),
    ("43,000 to 48,000 vehicles", {"low": 43000, "high": 48000, "unit": "vehicles", "text": "43,000 to 48,000 vehicles"}),
    ("RMB 12.9 to 13.6 billion", {"low": 12900000000, "high": 13600000000, "unit": "CNY", "text": "RMB 12.9 to 13.6 billion"}),
    ("RMB 12.9–13.6 billion", {"low": 12900000000, "high": 13600000000, "unit": "CNY", "text": "RMB 12.9–13.6 billion"}),
    ("2%-3%", {"low": 2, "high": 3, "unit": "percent", "text": "2%-3%"}),
    ("$200 to $3,000", {"low": 200, "high": 3000, "unit": "USD", "text": "$200 to $3,000"}),
    ("30 models", {"amount": 30, "unit": "models"}),
    ("10 brands", {"amount": 10, "unit": "brands"}),
    ("5 markets", {"amount": 5, "unit": "markets"}),
    ("9 OEMs", {"amount": 9, "unit": "oems"}),
    ("1.2 percentage points", {"amount": 1.2, "unit": "percentage_points"}),
    ("90 basis points", {"amount": 90, "unit": "basis_points"}),
    ("90bp", {"amount": 90, "unit": "basis_points"}),
    ("200 kW", {"amount": 200, "unit": "kW"}),
    ("5 GWh", {"amount": 5, "unit": "GWh"}),
    ("400 TOPS", {"amount": 400, "unit": "TOPS"}),
    ("1.2 times", {"amount": 1.2, "unit": "times"}),
    ("3.1 million vehicles", {"amount": 3100000, "unit": "vehicles"}),
])
def test_quantities_as_written(text, quantity):
    assert WORDS.parse_quantity(text) == quantity


@pytest.mark.parametrize("text, message", [
    ("155.6 million", "has no unit"),
    ("twelve", "cannot read 'twelve' as a quantity"),
    ("$5 USD", "gives two units"),
    ("5 parsecs", "unknown unit 'parsecs'"),
    ("48,000 to 43,000 vehicles", "range low 48000 is above high 43000"),
    ("9" * 41 + " USD", "more than 40 digits"),
])
def test_what_is_not_a_quantity(text, message):
    with pytest.raises(TimelineError, match=message):
        WORDS.parse_quantity(text)


@pytest.mark.parametrize("metric, unit, fits", [
    ("revenue", "USD", True), ("revenue", "percent", False), ("eps", "USD/share", True), ("eps", "USD", False),
    ("gross_margin", "percent", True), ("deliveries", "vehicles", True), ("stores", "stores", True),
    ("growth_over_market", "percentage_points", True), ("growth_over_market", "percent", True),
])
def test_a_figure_fits_its_metric(metric, unit, fits):
    assert WORDS.unit_fits(WORDS.metrics[metric]["unit"], unit) is fits


@pytest.mark.parametrize("metric, suggestion", [
    ("operating loss", "operating_loss"), ("net sales", "revenue"), ("EPS", "eps"), ("capex", "capital_expenditures"),
])
def test_metrics_are_suggested_by_the_words_documents_use(metric, suggestion):
    assert f"did you mean '{suggestion}'" in WORDS.suggest_metric(metric)


def test_a_loss_is_its_signed_opposite():
    assert WORDS.canonical("net_loss") == ("net_income", -1)
    assert WORDS.state_value("financial_result", {"metric": "net_loss", "value": {"amount": 5, "unit": "USD"}}, None) == \
        {"amount": -5, "unit": "USD"}
    assert WORDS.state_key("financial_result", {"metric": "net_loss", "value": {"amount": 5, "unit": "USD"}}, None,
                           "2025-04-01", "2025-06-30", "quarter") == "net_income/quarter"
