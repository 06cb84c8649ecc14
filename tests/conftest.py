"""Shared fixtures: a fresh database per test, the CLI as a user types it.

`db` is a database URL on each backend the run supports (see backends.py);
tests that take it run once per backend.  `cli` invokes `timeline` through
click's runner with `--db` set; `sqlite_db` is a plain SQLite file for tests
that need the file itself (byte comparisons, raw sqlite3).
"""
import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from timeline.cli import cli as timeline_cli

from . import backends

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

ENTITIES_YAML = """\
entities:
- key: acme
  name: Acme Motors Inc.
  type: company
  aliases: [ACME]
- key: globex
  name: Globex Holdings
  type: company
  aliases: [GBX]
- key: rocket
  name: Rocket cockpit platform
  type: product
  parent: acme
- key: initech
  name: Initech Corp.
  type: company
  fiscal_year_end: "03-31"
"""

BUNDLE_YAML = """\
source:
  key: acme-q2-2025
  title: Acme reports second quarter 2025 results
  publisher: Acme Motors
  url: https://example.com/acme-q2-2025
  published_on: "2025-09-08"
  document_type: press_release
  language: en
events:
- id: acme/2025-q2/revenue
  entity: acme
  kind: financial_result
  date: the second quarter
  summary: Acme reported Q2 2025 revenue of US$155.6 million.
  attributes:
    metric: revenue
    value: {amount: 155600000, unit: USD}
    change_yoy: {amount: -10, unit: percent}
  quote: For the second quarter, total revenue was $155.6 million, down 10% year-over-year.
- id: acme/2025-06-30/cash
  entity: ACME
  kind: financial_result
  date: as of June 30, 2025
  summary: Acme held US$99.2 million in cash at the end of June 2025.
  attributes:
    metric: cash
    value: {amount: 99200000, unit: USD}
  quote: Total cash as of June 30, 2025, was $99.2 million.
- id: acme/2025-04/headquarters
  entity: acme
  kind: headquarters
  date: April 2025
  summary: Acme moved its headquarters to Singapore.
  attributes: {location: Singapore}
  quote: In April 2025 Acme moved its headquarters to Singapore.
- id: acme/2025-08/globex-investment
  entity: acme
  counterparty: globex
  kind: investment
  date: August 2025
  summary: Acme invested US$23 million in Globex.
  attributes:
    amount: {amount: 23000000, unit: USD}
    shares: {amount: 16788321, unit: shares}
    price_per_share: {amount: 1.37, unit: USD}
  quote: Acme will acquire 16,788,321 newly issued shares of Globex at US$1.37 per share.
"""


def pytest_collection_modifyitems(items):
    """tests/test_stress_*.py are marked `stress`: `pytest -m stress` runs them alone, `-m "not stress"` skips them."""
    for item in items:
        if item.path.name.startswith("test_stress_"):
            item.add_marker(pytest.mark.stress)


def write_corpus(directory):
    """A small, valid events/ directory: entities plus one bundle."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "entities.yml").write_text(ENTITIES_YAML, encoding="utf-8")
    (directory / "acme-q2-2025.yml").write_text(BUNDLE_YAML, encoding="utf-8")
    return directory


@pytest.fixture(params=backends.available(), ids=lambda b: b.name)
def backend(request):
    return request.param


@pytest.fixture
def db(backend, tmp_path):
    """URL of a fresh, initialised, empty timeline database on `backend`."""
    url = backend.fresh_database(tmp_path)
    result = CliRunner().invoke(timeline_cli, ["--db", url, "init"])
    assert result.exit_code == 0, result.output
    yield url
    backend.drop(url)


@pytest.fixture
def sqlite_db(tmp_path):
    path = tmp_path / "timeline.db"
    result = CliRunner().invoke(timeline_cli, ["--db", str(path), "init"])
    assert result.exit_code == 0, result.output
    return path


class Cli:
    """`timeline --db DB …` through click's runner, stderr kept apart."""

    def __init__(self, db):
        self.db = str(db)

    def __call__(self, *args, input=None):
        return CliRunner().invoke(timeline_cli, ["--db", self.db, *map(str, args)], input=input)

    def ok(self, *args):
        result = self(*args)
        assert result.exit_code == 0, f"timeline {' '.join(map(str, args))} failed:\n{result.output}{result.stderr}"
        return result.stdout


@pytest.fixture
def cli(db):
    return Cli(db)


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "events")


@pytest.fixture
def loaded(cli, corpus):
    """A database holding the small test corpus; returns the Cli."""
    cli.ok("import", corpus)
    return cli


def file_digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sqlite_dump(path):
    """The file as SQL: the schema and every row of every table, in the order the file holds them."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
