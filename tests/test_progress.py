"""Progress on long work, as a user sees it: `timeline` run in a real process.

On a terminal (stderr a pseudo-terminal from the `pty` module) import and
publish draw a bar with what they are doing, how fast and how long is left;
with stderr piped, or with --quiet, stderr stays empty.  Whatever stderr is,
stdout says the same thing.  Nothing here asserts how long anything takes.
"""
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import synth

TIMELINE = str(Path(sys.executable).parent / "timeline")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def timeline(*args, terminal=False):
    """(exit code, stdout, stderr) of `timeline ARGS`: stderr a pseudo-terminal when `terminal`, else a pipe."""
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    if not terminal:
        done = subprocess.run([TIMELINE, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env)
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    master, slave = pty.openpty()
    process = subprocess.Popen([TIMELINE, *map(str, args)], stdout=subprocess.PIPE, stderr=slave,
                               stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    shown = b""
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            shown += chunk
        out = process.stdout.read()
        process.wait()
    finally:
        os.close(master)
        process.stdout.close()
    return process.returncode, out.decode(), ANSI.sub("", shown.decode("utf-8", "replace"))


def ok(*args, terminal=False):
    code, out, err = timeline(*args, terminal=terminal)
    assert code == 0, f"timeline {' '.join(map(str, args))}:\n{out}{err}"
    return out, err


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """An export of a synthetic log of a few thousand events (megabytes: the bar has time to move)."""
    directory = tmp_path_factory.mktemp("progress")
    source = synth.write_jsonl(directory / "synth.jsonl", 3000, entities=60, seed=5)
    live = directory / "live.db"
    ok("--db", live, "init")
    ok("--db", live, "import", source)
    path = directory / "export.jsonl"
    ok("--db", live, "export", "-o", path)
    return path


def three_ways(tmp_path, command):
    """{way: (stdout, stderr)} of `command(db, way)`, each on a database of its own."""
    found = {}
    for way, terminal, quiet in (("terminal", True, ()), ("piped", False, ()), ("quiet", True, ("--quiet",))):
        db = tmp_path / f"{way}.db"
        found[way] = command(db, terminal, quiet)
    return found


def test_import_shows_a_bar_on_a_terminal_only(export, tmp_path):
    def command(db, terminal, quiet):
        ok("--db", db, "init")
        return ok("--db", db, "import", *quiet, export, terminal=terminal)

    found = three_ways(tmp_path, command)
    out, bar = found["terminal"]
    assert "importing" in bar
    assert re.search(r"\d+(\.\d+)?/\d+(\.\d+)? [kM]B", bar), bar[-2000:]  # how far, in bytes
    assert re.search(r"\d+(\.\d+)? [kMG]?B/s", bar), bar[-2000:]  # how fast
    assert "eta" in bar and "elapsed" in bar
    assert found["piped"][1] == "" and found["quiet"][1] == ""
    assert out == found["piped"][0] == found["quiet"][0]
    assert out.startswith("added ") and "3000 events" in out


def test_publish_shows_a_bar_on_a_terminal_only(export, tmp_path):
    live = tmp_path / "live.db"
    ok("--db", live, "init")
    ok("--db", live, "import", export)
    out_path = tmp_path / "site.db"

    def command(db, terminal, quiet):
        return ok("--db", live, "publish", *quiet, out_path, terminal=terminal)

    found = three_ways(tmp_path, command)
    out, bar = found["terminal"]
    for step in ("copying the log", "indexes and the search index", "reader tables", "checking the chains"):
        assert step in bar, bar[-2000:]
    assert re.search(r"[\d,]+ steps/s", bar), bar[-2000:]
    assert "eta" in bar and "elapsed" in bar
    assert found["piped"][1] == "" and found["quiet"][1] == ""
    assert out == found["piped"][0] == found["quiet"][0]
    assert out.startswith("published 3000 events")


@pytest.mark.parametrize("command, doing", [
    (("rebuild",), "replaying the log into projections"),
    (("verify",), "checking the event chain"),
    (("export", "-o", "{tmp}/out.jsonl", "--force"), "exporting"),
    (("copy", "--to", "{tmp}/copy-{n}.db"), "copying"),
])
def test_other_long_commands_show_a_bar_and_take_quiet(export, tmp_path, command, doing):
    live = tmp_path / "live.db"
    ok("--db", live, "init")
    ok("--db", live, "import", export)
    outputs = {}
    for n, (way, terminal, quiet) in enumerate((("terminal", True, ()), ("piped", False, ()),
                                                ("quiet", True, ("--quiet",)))):
        args = [a.format(tmp=tmp_path, n=n) for a in command]
        outputs[way] = ok("--db", live, args[0], *quiet, *args[1:], terminal=terminal)
    assert doing in outputs["terminal"][1].lower(), outputs["terminal"][1][-2000:]
    assert "elapsed" in outputs["terminal"][1]
    assert outputs["piped"][1] == "" and outputs["quiet"][1] == ""
    if command[0] != "copy":  # (each copy names its own target)
        assert outputs["terminal"][0] == outputs["piped"][0] == outputs["quiet"][0]


def test_an_error_on_a_terminal_is_one_line_after_the_bar(export, tmp_path):
    """The bar is taken off the screen (transient) and the error stands alone on the last line."""
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2500] = lines[2500][:30] + "\n"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines), encoding="utf-8")
    db = tmp_path / "live.db"
    ok("--db", db, "init")
    code, out, shown = timeline("--db", db, "import", bad, terminal=True)
    assert code == 1 and out == ""
    assert "importing" in shown  # it had begun
    last = [part for part in re.split(r"[\r\n]+", shown) if part.strip()][-1]
    assert last.startswith("Error: ") and "line 2501: not JSON" in last, shown[-500:]
