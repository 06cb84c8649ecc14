"""Hostile input: generated bundles, YAML and command lines never crash `timeline`.

Hypothesis writes what a careless or malicious contributor might: huge
strings, control characters, right-to-left overrides, odd and invalid
Unicode (lone surrogates, as bytes that are not UTF-8 in an argument or a
"\\ud800" escape in JSON give), wrong types, negative, NaN, infinite and
enormous amounts, dates at the edges of the calendar, deep YAML, anchor and
alias bombs, tags naming Python objects, duplicate keys, binary garbage.
For every example, through the real CLI (click's runner, in process):

- no traceback: any failure is one `Error:` line, exit code 1 (2 for usage);
- on failure the database is unchanged: the whole export and the file's
  bytes are what they were before;
- YAML is loaded safely: no tag ever constructs a Python object (a tag that
  would create a file is tried, and the file must not appear).

A success is allowed (hostile is not always wrong: "亿咖通" is a fine name);
then the log must still verify.  Each example works on a fresh copy of a
small database, so examples do not depend on each other.
"""
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from timeline.cli import cli as timeline_cli

from .conftest import BUNDLE_YAML, file_digest, write_corpus

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

# ---- hostile values ----

EDGE_TEXT = [
    "", " ", "\t", "\n", "\x00", "a\x00b", "\x07\x1b[31mred\x1b[0m", "\u202eevil\u202c", "\u200f\u200eשלום",
    "ﷺ", "e\u0301\u0301\u0301", "🏳️‍🌈", "\ufeffbom", "\U0010ffff", "\ud800", "caf\udce9", "\udcff",
    "亿咖通科技", "ＡＣＭＥ", "ß", "İ", "None", "null", "~", "NaN", "nan", "-inf", "1e400", "-1", "0",
    "%s%s%n", "{0}{entity}", "'; DROP TABLE events; --", "../../etc/passwd", "acme\nkind: launch",
    "Q2 2025", "Q4 9999", "Q1 0999", "FY10000", "FY0", "9999-12-31", "0001-01-01", "0000-00-00",
    "10000-01-01", "2023-02-29", "2024-02-29", "February 30, 2025", "next year", "last quarter",
    "31/12/1999", "early 9999", "end of 9999", "the second quarter", "H3 2025", "Q0 2025",
]

odd_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40)
controls = st.text(st.sampled_from("\x00\x01\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\u202a\u202b\u202d\u202e\ufeffa/ "),
                   max_size=20)
huge = st.tuples(st.integers(min_value=300, max_value=200_000), st.sampled_from("aé亿\u202e0")).map(lambda t: t[1] * t[0])
hostile_text = st.one_of(st.sampled_from(EDGE_TEXT), odd_text, controls, huge)

numbers = st.one_of(
    st.integers(), st.integers(min_value=10**18, max_value=10**400), st.integers(max_value=-1),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([float("nan"), float("inf"), -0.0, 1e308, 5e-324]),
)
edge_dates = st.one_of(st.dates(), st.sampled_from([dt.date.min, dt.date.max, dt.date(1000, 1, 1), dt.date(999, 12, 31)]))
scalars = st.one_of(hostile_text, numbers, st.booleans(), st.none(), edge_dates)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)

GOOD_EVENT = {
    "id": "acme/2025-q3/launch", "entity": "acme", "kind": "launch", "date": "Q3 2025",
    "summary": "Acme launched Rocket.", "attributes": {"product": "Rocket"}, "quote": "Acme launched Rocket.",
}
GOOD_SOURCE = {"key": "acme-q3", "title": "Acme news", "published_on": "2025-10-01"}
EVENT_FIELDS = ["id", "entity", "counterparty", "kind", "date", "valid_from", "valid_to", "precision",
                "date_note", "reported_on", "summary", "attributes", "quote", "supersedes", "retracts", "reason",
                "unknown_field", "_preserve"]
QUANTITY_FIELDS = ["amount", "unit", "qualifier", "extra"]


@st.composite
def hostile_event(draw):
    event = json.loads(json.dumps(GOOD_EVENT))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        field = draw(st.sampled_from(EVENT_FIELDS))
        if draw(st.booleans()) and field in event:
            del event[field]
        else:
            event[field] = draw(values)
    if draw(st.booleans()):  # a metric with a hostile quantity
        event.update(kind="financial_result", attributes={"metric": draw(st.sampled_from(["revenue", "cash", draw(hostile_text)])),
                                                          "value": {f: draw(values) for f in draw(st.lists(st.sampled_from(QUANTITY_FIELDS), max_size=4))}})
    return event


@st.composite
def hostile_bundle(draw):
    source = dict(GOOD_SOURCE)
    for field in draw(st.lists(st.sampled_from(["key", "title", "published_on", "url", "sha256", "document_type",
                                                "retrieved_on", "language", "status", "bogus"]), max_size=3)):
        source[field] = draw(values)
    events = draw(st.lists(st.one_of(hostile_event(), st.just(dict(GOOD_EVENT)), values), min_size=1, max_size=4))
    shape = draw(st.sampled_from(["bundle", "bundle", "no-source", "events-not-list", "scalar", "extra-key"]))
    if shape == "bundle":
        return {"source": source, "events": events}
    if shape == "no-source":
        return {"events": events}
    if shape == "events-not-list":
        return {"source": source, "events": draw(values)}
    if shape == "extra-key":
        return {"source": source, "events": events, draw(st.text(max_size=5)): draw(values)}
    return draw(values)


# ---- running the CLI on a fresh copy ----

@pytest.fixture(scope="module")
def template(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile")
    path = directory / "template.db"
    for args in (["init"], ["import", str(write_corpus(directory / "events"))]):
        result = CliRunner().invoke(timeline_cli, ["--db", str(path), *args])
        assert result.exit_code == 0, result.output
    return path


def invoke(db, args):
    return CliRunner().invoke(timeline_cli, ["--db", str(db), *args])


def snapshot(db):
    result = invoke(db, ["export"])
    assert result.exit_code == 0, result.output
    return result.stdout, file_digest(db)


def check(template, args, files=None):
    """Run `timeline ARGS` on a copy of the template; assert it fails cleanly or the log still verifies."""
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / "timeline.db"
        shutil.copy(template, db)
        for name, content in (files or {}).items():
            path = Path(directory) / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogateescape")
        args = [a.replace("{dir}", directory) for a in args]
        before = snapshot(db)
        result = invoke(db, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"timeline {args!r:.300} raised {result.exception!r}")
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            verified = invoke(db, ["verify"])
            assert verified.exit_code == 0, verified.stderr
            return result
        assert result.exit_code in (1, 2), result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), f"{args!r:.200}: {result.stderr!r:.500}"
        assert snapshot(db) == before, f"timeline {args!r:.200} failed but changed the database"
        return result


def to_yaml(data):
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _yaml_safe(data):
    """safe_dump cannot write lone surrogates; drop those values (JSON Lines tests them)."""
    try:
        text = to_yaml(data)
        text.encode("utf-8")
        return text
    except (yaml.YAMLError, UnicodeEncodeError):
        return None


# ---- bundles ----

@SETTINGS
@given(bundle=hostile_bundle())
def test_generated_yaml_bundles(template, bundle):
    text = _yaml_safe(bundle)
    if text is None:
        return
    check(template, ["import", "{dir}/bundle.yml"], {"bundle.yml": text})


@SETTINGS
@given(events=st.lists(st.one_of(hostile_event(), values), min_size=1, max_size=4),
       source=st.one_of(st.just(GOOD_SOURCE), values))
def test_generated_json_lines(template, events, source):
    lines = []
    for event in events:
        record = {"record": "event", **event} if isinstance(event, dict) else event
        if isinstance(record, dict):
            record.setdefault("source", source)
            record["date_text"] = record.pop("date", None)
        lines.append(json.dumps(record, default=str))  # ensure_ascii: surrogates travel as \ud800 escapes
    check(template, ["import", "{dir}/export.jsonl"], {"export.jsonl": "\n".join(lines) + "\n"})


BILLION_LAUGHS = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},"
    f"*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)},*{chr(97 + n)}]\n" for n in range(9))

RAW_YAML = [
    BILLION_LAUGHS,
    "source: &s {key: x, title: T, published_on: '2025-01-01'}\nevents: [*s]\n",
    "source: !!python/object/apply:os.system ['touch {dir}/pwned']\nevents: []\n",
    "source: !!python/object/new:pathlib.Path ['{dir}/pwned']\nevents: []\n",
    "events: !!binary aGVsbG8=\nsource: {key: x, title: T, published_on: '2025-01-01'}\n",
    "source: {key: x, key: y, title: T, published_on: '2025-01-01'}\nevents: []\n",
    "source: {key: x, title: T, published_on: '2025-01-01'}\nevents: []\nevents: []\n",
    "source: {key: x, title: T, published_on: '2025-01-01'}\nevents:\n- {? [a, b] : c}\n",
    "\ufeffsource: {key: x, title: T, published_on: '2025-01-01'}\nevents: []\n",
    "source: {key: x, title: \"\\ud800\", published_on: '2025-01-01'}\nevents: []\n",
    "--- a\n--- b\n", "", "~", "[]", "42", "'just a string'", "\t- tab", "{", "source: [\n", "a: b: c",
    "source: {key: x, title: T, published_on: 2025-13-45}\nevents: []\n",
    "source: {key: x, title: T, published_on: 9999-12-31}\nevents:\n- {id: acme/n, entity: acme, kind: note, date: next year, summary: s, quote: q}\n",
    "source: {key: x, title: T, published_on: 0001-01-01}\nevents:\n- {id: acme/n, entity: acme, kind: note, date: last quarter, summary: s, quote: q}\n",
    "source: {key: x, title: T, published_on: '2025-01-01'}\nevents:\n- {id: acme/n, entity: acme, kind: note, date: Q1 2025, summary: s, quote: q, attributes: {amount: {amount: .nan, unit: USD}}}\n",
    "source: {key: x, title: T, published_on: '2025-01-01'}\nevents:\n- {id: acme/n, entity: acme, kind: note, date: Q1 2025, summary: s, quote: q, attributes: {amount: {amount: -.inf, unit: USD}}}\n",
    "source: {key: x, title: T, published_on: '2025-01-01'}\nevents:\n- {id: acme/n, entity: acme, kind: note, date: Q1 2025, summary: s, quote: q, attributes: {amount: {amount: 1" + "0" * 500 + ", unit: USD}}}\n",
]


@settings(max_examples=len(RAW_YAML) + 40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.sampled_from(RAW_YAML),
    st.integers(min_value=1, max_value=5000).map(lambda n: "source: " + "[" * n + "]" * n + "\nevents: []\n"),
    st.integers(min_value=1, max_value=3000).map(lambda n: "events: []\nsource: " + "{a: " * n + "b" + "}" * n + "\n"),
    st.integers(min_value=1, max_value=200).map(lambda n: "events:\n" + "".join("  " * i + "- \n" for i in range(n))),
    st.binary(max_size=300),
))
def test_raw_yaml_is_refused_or_read_safely(template, text):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bundle.yml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text.replace("{dir}", directory), encoding="utf-8")
        check(template, ["import", str(path)])
        assert not (Path(directory) / "pwned").exists(), "a YAML tag ran code"


def test_an_alias_bomb_is_refused_quickly(template):
    result = check(template, ["import", "{dir}/bomb.yml"], {"bomb.yml": BILLION_LAUGHS})
    assert result.exit_code == 1 and "aliases are not allowed" in result.stderr


# ---- command lines ----

COMMANDS = [
    ["add", "--entity", "{t}", "--kind", "{t}", "--date", "{t}", "--summary", "{t}", "--quote", "{t}", "--source", "acme-q2-2025"],
    ["add", "--entity", "acme", "--kind", "launch", "--date", "{t}", "--summary", "{t}", "--quote", "{t}",
     "--source", "acme-q2-2025", "--attr", "product={t}", "--id", "{t}"],
    ["add", "--entity", "acme", "--kind", "financial_result", "--date", "Q3 2025", "--summary", "s", "--quote", "q",
     "--source", "acme-q2-2025", "--attr", "revenue={t}"],
    ["add", "--entity", "acme", "--kind", "note", "--date", "{t}", "--summary", "s", "--quote", "q",
     "--source-title", "{t}", "--published-on", "{t}", "--source-url", "{t}"],
    ["show", "{t}"], ["show", "acme", "--as-of", "{t}"], ["show", "acme", "--known-at", "{t}", "--json"],
    ["parse-date", "{t}"], ["parse-date", "{t}", "--base", "{t}"], ["parse-date", "Q2 FY2025", "--fiscal-year-end", "{t}"],
    ["log", "{t}"], ["log", "--kind", "{t}", "--json"], ["history", "{t}", "{t}"], ["history", "acme", "{t}"],
    ["correct", "{t}", "--reason", "{t}"], ["correct", "acme/2025-q2/revenue", "--reason", "{t}", "--summary", "{t}"],
    ["correct", "acme/2025-q2/revenue", "--reason", "r", "--keep-summary", "--attr", "{t}"], ["retract", "{t}", "--reason", "{t}"],
    ["retract", "acme/2025-q2/revenue", "--reason", "{t}", "--source", "{t}"],
    ["entity", "add", "{t}", "--name", "{t}", "--type", "{t}"], ["entity", "add", "acme", "--alias", "{t}"],
    ["entity", "add", "newco", "--name", "N", "--type", "company", "--parent", "{t}", "--fiscal-year-end", "{t}"],
    ["source", "add", "{t}", "--title", "{t}", "--published-on", "{t}"],
    ["source", "add", "new-source", "--title", "T", "--published-on", "2025-01-01", "--url", "{t}", "--sha256", "{t}",
     "--type", "{t}", "--language", "{t}"],
    ["export", "--format", "{t}"], ["verify", "{t}"], ["import", "{t}"], ["kinds", "{t}"], ["{t}"],
]


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), texts=st.lists(hostile_text, min_size=6, max_size=6))
def test_hostile_command_lines(template, command, texts):
    fill = iter(texts)
    args = [next(fill) if part == "{t}" else part for part in command]
    check(template, args)


def test_the_corpus_bundle_itself_still_imports(template):
    """The hostile machinery accepts good input (so the properties above are not vacuous)."""
    result = check(template, ["import", "{dir}/good.yml"], {"good.yml": BUNDLE_YAML.replace("acme-q2-2025", "acme-again")
                                                                     .replace("acme/", "acme/again-")})
    assert result.exit_code == 0, result.output
