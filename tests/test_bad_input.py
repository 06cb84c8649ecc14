"""Every kind of bad input: one `Error:` line, a non-zero exit, no traceback,
and the database exactly as it was."""
import sqlite3
from pathlib import Path

import pytest

from .conftest import BUNDLE_YAML, Cli, file_digest

SOURCE_HEADER = BUNDLE_YAML.split("events:")[0]

GOOD_EVENT = """\
- id: acme/2025-q3/launch
  entity: acme
  kind: launch
  date: Q3 2025
  summary: Acme launched the Rocket platform.
  attributes: {product: Rocket}
  quote: Acme launched Rocket in the third quarter.
"""


def bundle(tmp_path, events_yaml, name="bad.yml", header=SOURCE_HEADER):
    path = Path(tmp_path) / name
    path.write_text(header + "events:\n" + events_yaml, encoding="utf-8")
    return path


def event_with(**changes):
    """GOOD_EVENT with some lines replaced (key: value as YAML text)."""
    lines = []
    for line in GOOD_EVENT.splitlines():
        key = line.strip("- ").split(":")[0]
        if key in changes:
            if changes[key] is None:
                continue
            line = f"{'- ' if line.startswith('- ') else '  '}{key}: {changes.pop(key)}"
        lines.append(line)
    lines += [f"  {key}: {value}" for key, value in changes.items() if value is not None]
    return "\n".join(lines) + "\n"


def snapshot(cli):
    """What must not change: the whole exported log, and the file's bytes on SQLite."""
    digest = file_digest(cli.db) if Path(cli.db).exists() else None
    return cli.ok("export"), digest


def assert_refused(cli, args, message, code=1):
    before = snapshot(cli)
    result = cli(*args)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert snapshot(cli) == before


ADD = ["add", "--entity", "acme", "--kind", "launch", "--date", "Q3 2025", "--summary", "Acme launched Rocket.",
       "--quote", "Acme launched Rocket.", "--attr", "product=Rocket", "--source", "acme-q2-2025"]


def add_with(**changes):
    args = list(ADD)
    for option, value in changes.items():
        option = "--" + option.replace("_", "-")
        if option not in args:
            args += [option, value]
            continue
        index = args.index(option)
        if value is None:
            del args[index:index + 2]
        else:
            args[index + 1] = value
    return args


@pytest.mark.parametrize("args, message", [
    (add_with(entity="acmee"), "unknown entity 'acmee' — did you mean 'acme'?"),
    (add_with(kind="lanch"), "unknown kind 'lanch' — did you mean 'launch'?"),
    (add_with(kind="financial_result", attr="metric=revenue"),
     "give at least one of value, outcome, change_yoy, change_qoq — financial_result takes metric (required)"),
    (add_with(attr="colour=red"), "unknown attribute 'colour' for kind 'launch'"),
    (add_with(kind="financial_result", attr="operating loss=5 million USD"),
     "unknown attribute 'operating loss' for kind 'financial_result' — did you mean 'operating_loss'?"),
    (add_with(kind="financial_result", attr="revenue=31%"),
     "value of revenue is in percent, but revenue is measured in a currency (USD, CNY…) — financial_result takes"),
    (add_with(date="sometime"), "sometime"),
    (add_with(date="February 30, 2025"), "February 30, 2025"),
    (add_with(date="Q5 2025"), "Q5 2025"),
    (add_with(summary="   "), "summary is missing or empty"),
    (add_with(quote="x" * 301), "quote is 301 characters long; at most 300 are allowed"),
    (add_with(source="nope"), "unknown source 'nope'"),
    (add_with(source=None), "no source given"),
    (add_with(kind="financial_result", attr="revenue=lots"), "cannot read 'lots' as a quantity"),
    (add_with(kind="financial_result", attr="revenue=12 parsecs"), "unknown unit 'parsecs'"),
    (add_with(counterparty="acme"), "counterparty is the entity itself"),
    (["correct", "acme/nope", "--summary", "x", "--reason", "r"], "cannot correct 'acme/nope': no such event"),
    (["retract", "acme/nope", "--reason", "r"], "cannot retract 'acme/nope': no such event"),
    (["show", "acmee"], "unknown entity 'acmee' — did you mean 'acme'?"),
    (["show", "acme", "--as-of", "2025-02-30"], "--as-of"),
    (["history", "acme", "revenu"], "unknown metric 'revenu' — did you mean 'revenue'"),
    (["log", "--kind", "lanch"], "did you mean 'launch'?"),
    (["entity", "add", "acme", "--name", "Other name"], "entity 'acme' already exists with a different name"),
    (["entity", "add", "newco"], "entity 'newco' is new: give --name and --type"),
    (["entity", "add", "newco", "--name", "N", "--type", "compny"], "unknown type 'compny' — did you mean 'company'?"),
    (["entity", "add", "newco", "--name", "N", "--type", "company", "--parent", "nope"], "unknown parent 'nope'"),
    (["source", "add", "acme-q2-2025", "--title", "Other", "--published-on", "2025-09-08"], "already exists with a different title"),
    (["source", "add", "Bad Key", "--title", "T", "--published-on", "2025-09-08"], "must be a slug"),
    (["import", "no/such/dir"], "no such file or directory"),
])
def test_bad_cli_input_changes_nothing(loaded, args, message):
    assert_refused(loaded, args, message)


@pytest.mark.parametrize("args, message", [
    (["show"], "Missing argument 'ENTITY'"),
    (["add", "--entity", "acme"], "Missing option '--kind'"),
    (["correct", "acme/2025-q2/revenue", "--summary", "x"], "Missing option '--reason'"),
    (["export", "--format", "xml"], "'xml' is not one of"),
    (["nonsense"], "No such command 'nonsense'"),
])
def test_usage_errors_exit_2(loaded, args, message):
    assert_refused(loaded, args, message, code=2)


def test_retracting_twice(loaded):
    loaded.ok("retract", "acme/2025-04/headquarters", "--reason", "not in the source")
    assert_refused(loaded, ["retract", "acme/2025-04/headquarters", "--reason", "again"],
                   "cannot retract 'acme/2025-04/headquarters': it was already retracted by 'acme/2025-04/headquarters/retracted'")


def test_correcting_a_superseded_event_points_to_the_newer_one(loaded):
    loaded.ok("correct", "acme/2025-q2/revenue", "--summary", "Fixed.", "--reason", "wording")
    assert_refused(loaded, ["correct", "acme/2025-q2/revenue", "--summary", "Again.", "--reason", "r"],
                   "superseded by 'acme/2025-q2/revenue/v2'; correct that instead")


def test_retracting_a_retraction(loaded):
    retraction = loaded.ok("retract", "acme/2025-04/headquarters", "--reason", "wrong").strip()
    assert_refused(loaded, ["retract", retraction, "--reason", "x"], "is itself a retraction")


@pytest.mark.parametrize("events_yaml, message", [
    (event_with(kind="lanch"), "bad.yml: event 1 (acme/2025-q3/launch): unknown kind 'lanch' — did you mean 'launch'?"),
    (event_with(entity="acmee"), "event 1 (acme/2025-q3/launch): unknown entity 'acmee'"),
    (event_with(attributes="{}"), "missing required attribute 'product' — launch takes product (required), stage"),
    (event_with(attributes="{product: Rocket, colour: red}"), "unknown attribute 'colour' — launch takes product (required)"),
    (event_with(attributes="{colour: red, stage: 5}"),
     "unknown attribute 'colour'; missing required attribute 'product'; attribute 'stage' must be non-empty text, not 5 — "
     "launch takes product (required), stage, vehicle, market, description; e.g. --attr 'product=Antora 1000'"),
    (event_with(date="sometime"), "sometime"),
    (event_with(date="February 30, 2025"), "February 30, 2025"),
    (event_with(valid_from="2025-05-01", valid_to="2025-04-01", precision="month", date_note="inferred"),
     "valid_to 2025-04-01 is before valid_from 2025-05-01"),
    (event_with(valid_from="2025-05-01"), "give all of valid_from, valid_to and precision, or none"),
    (event_with(summary='""'), "summary is missing or empty"),
    (event_with(quote="x" * 301), "quote is 301 characters long"),
    (event_with(quote=None), "quote is missing or empty"),
    (GOOD_EVENT + GOOD_EVENT, "event 2 (acme/2025-q3/launch): duplicate id 'acme/2025-q3/launch'"),
    (event_with(id="acme/2025-q2/revenue"), "event 'acme/2025-q2/revenue' already exists with different kind, date_text"),
    (event_with(supersedes="acme/nope", reason="r"), "cannot correct 'acme/nope': no such event"),
    (event_with(retracts="acme/nope", reason="r"), "cannot retract 'acme/nope': no such event"),
    (event_with(supersedes="acme/2025-q2/revenue"), "a correction or retraction needs a reason"),
    (event_with(colour="red"), "unknown field 'colour' in event"),
    (event_with(id='"Not An Id"'), "event id 'Not An Id' must be"),
    (event_with(attributes="{product: [1, 2]}"), "attribute 'product' must be non-empty text"),
    (event_with(review="check the date"), "draft `review:` note"),
    ("- just a string\n", "an event must be a mapping"),
    (GOOD_EVENT + "  - stray: item\n", "malformed YAML at line"),
])
def test_bad_bundle_changes_nothing(loaded, tmp_path, events_yaml, message):
    assert_refused(loaded, ["import", bundle(tmp_path, events_yaml)], message)


def test_changed_content_under_an_existing_id_names_fields_and_points_to_correct(loaded, tmp_path):
    changed = BUNDLE_YAML.replace("summary: Acme moved its headquarters to Singapore.", "summary: Acme moved to Paris.")
    path = tmp_path / "changed.yml"
    path.write_text(changed, encoding="utf-8")
    assert_refused(loaded, ["import", path],
                   "event 'acme/2025-04/headquarters' already exists with different summary; "
                   "events are immutable: use `timeline correct acme/2025-04/headquarters` to append a correction")


@pytest.mark.parametrize("text, message", [
    ("source: [unclosed\n", "malformed YAML at line 2"),
    ("source:\n  key: a\n  key: b\nevents: []\n", "malformed YAML at line 3: duplicate key 'key'"),
    ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
    ("- 1\n- 2\n", "a bundle must be a mapping"),
    ("source: {key: s}\nevents: {}\n", "`events:` must be a list"),
    ("sauce: {}\n", "unknown top-level key(s) sauce"),
    ("source:\n  key: s2\n  title: T\nevents: []\n", "source 's2' has no published_on date"),
    ("source:\n  key: s2\n  title: T\n  published_on: someday\nevents: []\n", "someday"),
    ("source:\n  key: s2\n  title: T\n  published_on: 2025-01-01\n  status: draft\nevents: []\n", "remove the draft marks"),
    ("entities:\n- key: x\n  name: X\n  type: company\n  parent: nowhere\n", "entity 'x': unknown parent 'nowhere'"),
    ("entities:\n- key: acme\n  name: Acme Renamed\n  type: company\n", "entity 'acme' already exists with a different name"),
    ("entities: [" * 60 + "]" * 60 + "\n", "malformed YAML"),
    ("!!python/object:os.system {}\n", "malformed YAML"),
])
def test_bad_yaml_files_change_nothing(loaded, tmp_path, text, message):
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    assert_refused(loaded, ["import", path], message)


def test_not_utf8_and_bad_jsonl(loaded, tmp_path):
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert_refused(loaded, ["import", binary], "not UTF-8 text")
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text('{"record": "event"}\n{not json\n', encoding="utf-8")
    assert_refused(loaded, ["import", jsonl], "bad.jsonl: line 1: an event needs a `source` object")


def test_one_bad_file_in_a_directory_imports_nothing(loaded, tmp_path):
    directory = tmp_path / "more"
    directory.mkdir()
    bundle(directory, GOOD_EVENT, name="a-good.yml", header=SOURCE_HEADER.replace("acme-q2-2025", "acme-later"))
    bundle(directory, event_with(id="acme/other", kind="lanch"), name="b-bad.yml",
           header=SOURCE_HEADER.replace("acme-q2-2025", "acme-later-2"))
    assert_refused(loaded, ["import", directory], "b-bad.yml: event 1 (acme/other): unknown kind 'lanch'")


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some notes\n")
    before = file_digest(path)
    result = Cli(path)("show", "acme")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "not a timeline database" in result.stderr
    assert file_digest(path) == before


def test_a_sqlite_database_of_something_else(tmp_path):
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE recipes (name TEXT)")
    connection.commit()
    connection.close()
    before = file_digest(path)
    for args in (["show", "acme"], ["init"], ["verify"]):
        result = Cli(path)(*args)
        assert result.exit_code == 1 and "not a timeline database" in result.stderr, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1
    assert file_digest(path) == before


def test_a_database_from_a_newer_timeline(sqlite_db):
    connection = sqlite3.connect(sqlite_db)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()
    before = file_digest(sqlite_db)
    for args in (["show", "acme"], ["init"], ["import", "."]):
        result = Cli(sqlite_db)(*args)
        assert result.exit_code == 1 and "created by a newer timeline (schema 9999_future)" in result.stderr
    assert file_digest(sqlite_db) == before


def test_a_missing_database_file(tmp_path):
    result = Cli(tmp_path / "nope.db")("show", "acme")
    assert result.exit_code == 1 and "no database at" in result.stderr and "timeline init" in result.stderr
    assert not (tmp_path / "nope.db").exists()
