"""The README's claims, run on a fresh build of events/ as a new user would type them.

The tour and the curation walkthrough are run command by command in a copy of
events/; every output line the README shows must come out (a line `…` stands
for any number of lines the README leaves out).
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

BIN = Path(sys.executable).parent


def section(title):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    text = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return text.split("```\n", 2)[1]


def commands(block):
    """[(command, [expected output lines])] of a console block: `$ ` lines, `\\` continuations joined."""
    found, lines = [], block.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith("$ "):
            continue
        command = line[2:]
        while command.endswith("\\"):
            command = command[:-1] + " " + lines[index].strip()
            index += 1
        output = []
        while index < len(lines) and not lines[index].startswith("$ ") and lines[index].strip():
            output.append(lines[index])
            index += 1
        found.append((re.sub(r"\s+#\s[^'\"]*$", "", command), output))
    return found


def matches(expected, actual):
    """Every expected line in order, `…` skipping any lines, a line ending in `…` a prefix."""
    position = 0
    skipping = False
    for line in expected:
        if line.strip() == "…":
            skipping = True
            continue
        want = line.rstrip()
        prefix = want.endswith("…")
        want = want[:-1] if prefix else want
        while position < len(actual):
            got = actual[position].rstrip()
            position += 1
            if (got.startswith(want) if prefix else got == want):
                break
            if not skipping:
                return False
        else:
            return False
        skipping = False
    return skipping or position == len(actual)


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(ROOT / "events", tmp_path / "events")
    return tmp_path


def run(command, cwd):
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("TIMELINE_DB", None)
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_the_tour_runs_as_shown(workspace):
    tour = commands(section("A tour of the corpus"))
    assert len(tour) >= 8
    for command, expected in tour:
        result = run(command, workspace)
        assert result.returncode == 0, (command, result.stderr)
        assert matches(expected, result.stdout.splitlines()), (command, result.stdout)


def test_the_curation_walkthrough_runs_as_shown(workspace):
    assert run("timeline init && timeline import events/", workspace).returncode == 0
    walkthrough = commands(section("Curating a new document"))
    assert len(walkthrough) >= 6
    for command, expected in walkthrough:
        if command.startswith(("git ", "make ")):
            break  # the rest is the curator's git and make; test_build.py runs make build
        result = run(command, workspace)
        assert result.returncode == 0, (command, result.stderr)
        assert matches(expected, result.stdout.splitlines()), (command, result.stdout)
    written = (workspace / "events" / "globenewswire-2023-02-15-magna-ontario-expansion.yml").read_text()
    assert "- id: magna/2023-02-15-to-2026-12-31/jobs-created\n" in written
    rebuilt = run("timeline --db again.db init >/dev/null && timeline --db again.db import events/ >/dev/null "
                  "&& timeline --db again.db verify && timeline verify", workspace)
    heads = rebuilt.stdout.splitlines()
    assert rebuilt.returncode == 0 and len(heads) == 2 and heads[0] == heads[1]


@pytest.mark.parametrize("lines, actual, ok", [
    (["a", "…", "c"], ["a", "b", "b2", "c"], True),
    (["a", "…", "c"], ["a", "c", "d"], False),
    (["a", "…"], ["a", "b"], True),
    (["abc…"], ["abcdef"], True),
    (["a", "c"], ["a", "b", "c"], False),
])
def test_the_matcher(lines, actual, ok):
    assert matches(lines, actual) is ok
