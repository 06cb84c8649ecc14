"""Hostile input: generated bundles, YAML and CLI arguments never produce a
traceback, and whatever is refused leaves the database exactly as it was."""
import datetime as dt
import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import BUNDLE_YAML, Cli, file_digest, write_corpus

HOSTILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["", " ", "\x00", "\u202e\u202dRTL\u202c", "مرحبا", "亿咖通科技", "\ud7ff", "a\nb", "\t",
                     "Q2 2025", "2025-02-29", "9999-12-31", "0001-01-01", "February 30, 2025", "-1", "NaN"]),
    st.text(min_size=1, max_size=3).map(lambda s: s * 5000),
)
numbers = st.one_of(st.integers(), st.integers(min_value=-10**400, max_value=10**400),
                    st.floats(allow_nan=True, allow_infinity=True))
edge_dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat)
json_like = st.recursive(st.one_of(st.none(), st.booleans(), numbers, odd_text),
                         lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(odd_text, inner, max_size=3)),
                         max_leaves=10)


@st.composite
def hostile_event(draw):
    event = {
        "id": draw(st.one_of(st.just("acme/fuzz"), odd_text)),
        "entity": draw(st.one_of(st.just("acme"), odd_text, json_like)),
        "kind": draw(st.one_of(st.sampled_from(["financial_result", "launch", "investment", "note"]), odd_text)),
        "date": draw(st.one_of(edge_dates, odd_text, json_like)),
        "summary": draw(st.one_of(odd_text, json_like)),
        "quote": draw(st.one_of(odd_text, json_like)),
        "attributes": draw(st.one_of(
            st.fixed_dictionaries({"metric": st.just("revenue"),
                                   "value": st.fixed_dictionaries({"amount": numbers, "unit": st.one_of(st.just("USD"), odd_text)})}),
            st.fixed_dictionaries({"product": odd_text}),
            json_like)),
    }
    for optional in ("counterparty", "reported_on", "valid_from", "valid_to", "precision", "date_note", "supersedes", "reason"):
        if draw(st.booleans()):
            event[optional] = draw(st.one_of(edge_dates, odd_text, json_like))
    return event


def snapshot(cli):
    return cli.ok("export"), file_digest(cli.db)


def assert_clean(cli, result, before):
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert cli.ok("verify").startswith("ok: ")
        return
    assert result.exit_code in (1, 2), result.output
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("Error: ") and len(lines) == 1, result.stderr
    assert snapshot(cli) == before


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    cli = Cli(directory / "timeline.db")
    cli.ok("init")
    cli.ok("import", write_corpus(directory / "events"))
    return cli, directory


def dump(data):
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@HOSTILE
@given(events=st.lists(hostile_event(), min_size=1, max_size=3))
def test_generated_bundles(hostile_db, events):
    cli, directory = hostile_db
    path = directory / "fuzz.yml"
    source = yaml.safe_load(BUNDLE_YAML)["source"]
    path.write_text(dump({"source": {**source, "key": "fuzz-source"}, "events": events}), encoding="utf-8")
    before = snapshot(cli)
    assert_clean(cli, cli("import", path), before)


@HOSTILE
@given(text=st.one_of(st.text(max_size=400), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_arbitrary_yaml_text(hostile_db, text):
    cli, directory = hostile_db
    path = directory / "raw.yml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = snapshot(cli)
    assert_clean(cli, cli("import", path), before)


@HOSTILE
@given(entity=odd_text, kind=odd_text, date=st.one_of(edge_dates, odd_text), summary=odd_text,
       quote=odd_text, attr=odd_text, reported_on=st.one_of(edge_dates, odd_text))
def test_add_with_arbitrary_arguments(hostile_db, entity, kind, date, summary, quote, attr, reported_on):
    cli, _ = hostile_db
    arguments = [entity, kind, date, summary, quote, attr, reported_on]
    if any("\x00" in a for a in arguments):
        return  # a NUL cannot travel in argv
    before = snapshot(cli)
    result = cli("add", "--entity", entity, "--kind", kind, "--date", date, "--summary", summary, "--quote", quote,
                 "--attr", attr, "--reported-on", reported_on, "--source", "acme-q2-2025")
    assert_clean(cli, result, before)


@HOSTILE
@given(name=odd_text, as_of=st.one_of(edge_dates, odd_text), text=odd_text, base=st.one_of(edge_dates, odd_text))
def test_reads_with_arbitrary_arguments(hostile_db, name, as_of, text, base):
    cli, _ = hostile_db
    if "\x00" in name + as_of + text + base:
        return
    before = snapshot(cli)
    for args in (["show", name, "--as-of", as_of], ["show", name, "--known-at", as_of], ["log", name],
                 ["history", name, "revenue"], ["parse-date", text, "--base", base],
                 ["correct", name, "--summary", text, "--reason", text], ["retract", name, "--reason", text]):
        assert_clean(cli, cli(*args), before)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9))


@pytest.mark.parametrize("text, message", [
    (BOMB, "anchors and aliases are not allowed"),
    ("x: " + "[" * 10000 + "]" * 10000 + "\n", "malformed YAML"),
    ("x: " + "{a: " * 200 + "1" + "}" * 200 + "\n", "nested deeper than"),
    ("!!python/object/apply:os.system ['echo owned']\n", "malformed YAML"),
    ("source: !!binary aGVsbG8=\nevents: []\n", "a bundle needs a `source:` mapping"),
])
def test_yaml_attacks_are_refused(hostile_db, text, message):
    cli, directory = hostile_db
    path = directory / "attack.yml"
    path.write_text(text, encoding="utf-8")
    before = snapshot(cli)
    result = cli("import", path)
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert_clean(cli, result, before)


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), -float("inf"), 10**400, -(10**400)])
def test_impossible_amounts_are_refused(hostile_db, amount):
    cli, directory = hostile_db
    source = yaml.safe_load(BUNDLE_YAML)["source"]
    event = {"id": "acme/amount", "entity": "acme", "kind": "financial_result", "date": "Q3 2025",
             "summary": "s", "quote": "q", "attributes": {"metric": "revenue", "value": {"amount": amount, "unit": "USD"}}}
    path = directory / "amount.yml"
    path.write_text(dump({"source": source, "events": [event]}), encoding="utf-8")
    before = snapshot(cli)
    result = cli("import", path)
    assert result.exit_code == 1 and "amount" in result.stderr, result.output
    assert_clean(cli, result, before)
    assert not math.isfinite(float("nan"))


def test_negative_amounts_are_kept_as_reported(hostile_db):
    cli, _ = hostile_db
    new_id = cli.ok("add", "--entity", "acme", "--kind", "financial_result", "--date", "Q3 2025",
                    "--summary", "Acme lost money.", "--quote", "Net loss was $5 million.",
                    "--attr", "net_loss=-5 million USD", "--source", "acme-q2-2025").strip()
    assert new_id == "acme/2025-q3/net_loss"
    assert cli.ok("verify").startswith("ok: ")
