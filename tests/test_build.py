"""`make build` as a curator meets it: facts added with the CLI survive every build.

The Makefile's own recipe runs (make, the project's venv), in a copy of the
project's Makefile beside a small events/ folder.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, Cli, write_corpus

VENV = Path(sys.executable).parent.parent

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make_build(directory):
    """`make build` in `directory`, with this test run's venv standing in for .venv."""
    installed = VENV / ".installed"
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", str(installed), "build", f"VENV={VENV}"],
        cwd=directory, capture_output=True, text=True, env={**os.environ, "TIMELINE_DB": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def project(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    write_corpus(tmp_path / "events")
    return tmp_path


@needs_make
def test_build_keeps_facts_added_with_the_cli(project):
    out = make_build(project)
    assert "building timeline.db from events/" in out and "hold the same 4 events" in out
    cli = Cli(project / "timeline.db")
    cli.ok("entity", "add", "umbrella", "--name", "Umbrella Corp.", "--type", "company")
    cli.ok("add", "--entity", "umbrella", "--kind", "launch", "--date", "August 2025", "--source", "acme-q2-2025",
           "--attr", "product=Hive", "--summary", "Umbrella launched Hive.", "--quote", "Umbrella launched Hive.")
    assert cli.ok("verify").startswith("ok: 5 events")

    (project / "events" / "entities.yml").touch()  # a bundle changed: make runs the recipe again
    out = make_build(project)
    assert cli.ok("verify").startswith("ok: 5 events")
    assert "umbrella/2025-08/launch" in cli.ok("log", "umbrella")
    assert "the database holds 1 event that events/ lacks (umbrella/2025-08/launch)" in out


@needs_make
def test_build_imports_new_bundles_into_the_existing_database(project):
    make_build(project)
    head = Cli(project / "timeline.db").ok("verify")
    extra = (project / "events" / "acme-q2-2025.yml").read_text(encoding="utf-8") + """\
- id: acme/2025-q2/shipments
  entity: acme
  kind: operating_metric
  date: the second quarter
  summary: Acme shipped 135,000 units in Q2 2025.
  attributes:
    metric: shipments
    value: {amount: 135000, unit: units}
  quote: Acme shipped 135,000 units in the quarter.
"""
    (project / "events" / "acme-q2-2025.yml").write_text(extra, encoding="utf-8")
    out = make_build(project)
    after = Cli(project / "timeline.db").ok("verify")
    assert after.startswith("ok: 5 events") and head.split()[-1] != after.split()[-1]
    assert "hold the same 5 events" in out
