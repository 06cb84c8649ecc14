"""Crash safety: `timeline import` of a large bundle killed with SIGKILL at random moments.

A real process imports 20,000 generated events (bench/synth.py: 500 entities,
hundreds of sources, corrections and retractions) into a log that already
holds the small test corpus, and is killed without warning: while it reads
and validates, while it inserts, while it rebuilds the projections, while it
commits.  Every time the file must open, pass SQLite's integrity check and
`timeline verify` (chain and projections), and hold exactly the events it had
before the import or all of them after, never some.  The same for
`timeline rebuild`, which replaces every projection row in one transaction.

The kill moments are drawn from a seeded generator over the measured length
of an uninterrupted import: a third anywhere, a third in its last 40% (where
it writes: inserts, projections, commit), a third around its end (some
imports finish first); where they land in a loaded machine's timing varies,
which is the point.
"""
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from bench import synth

from .conftest import Cli, write_corpus

EVENTS = 20_000
ENTITIES = 500
IMPORT_TRIALS = 12
REBUILD_TRIALS = 3
TIMELINE = [sys.executable, "-c", "from timeline.cli import cli; cli()"]


def timeline(*args, timeout=600):
    return subprocess.run([*TIMELINE, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def counts(path):
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (conn.execute("SELECT count(*) FROM events").fetchone()[0],
                conn.execute("SELECT count(*) FROM entities").fetchone()[0],
                conn.execute("SELECT count(*) FROM event_status").fetchone()[0])
    finally:
        conn.close()


def assert_verifies(path):
    done = timeline("--db", path, "verify")
    assert done.returncode == 0, f"verify failed after a kill: {done.stderr}"
    assert done.stdout.startswith("ok: ")
    return done.stdout


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory):
    """(directory, bundle, base log, seconds an uninterrupted import takes, counts before, counts after)."""
    directory = tmp_path_factory.mktemp("crash")
    bundle = synth.write_jsonl(directory / "big.jsonl", EVENTS, entities=ENTITIES)
    base = directory / "base.db"
    Cli(base).ok("init")
    Cli(base).ok("import", write_corpus(directory / "events"))
    before = counts(base)
    full = directory / "full.db"
    shutil.copy(base, full)
    started = time.monotonic()
    done = timeline("--db", full, "import", bundle)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    after = counts(full)
    assert after[0] == before[0] + EVENTS
    return directory, bundle, base, full, duration, before, after


def kill_at(args, delay):
    """Start `timeline ARGS`, SIGKILL it after `delay` s; True if it was still running then."""
    process = subprocess.Popen([*TIMELINE, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def test_import_killed_at_random_moments_leaves_before_or_after(crash_setup):
    directory, bundle, base, _, duration, before, after = crash_setup
    outcomes = []
    for trial in range(IMPORT_TRIALS):
        rng = random.Random(f"import-{trial}")
        fraction = rng.uniform(*((0.0, 1.0), (0.6, 1.0), (0.9, 1.4))[trial % 3])
        db = directory / f"trial-{trial}.db"
        shutil.copy(base, db)
        killed = kill_at(["--db", db, "import", bundle], fraction * duration)
        found = counts(db)
        assert found in (before, after), (
            f"trial {trial}: killed at {fraction:.0%} of an import: {found[0]} events, {found[1]} entities, "
            f"{found[2]} projected; expected {before} or {after}")
        assert_verifies(db)
        outcomes.append((f"{fraction:.0%}", "killed" if killed else "finished",
                         "before" if found == before else "after"))
        db.unlink()
    print("\nimport trials (kill moment, process, log):", outcomes)
    assert any(killed == "killed" for _, killed, _ in outcomes), "no trial interrupted the import"


def test_rebuild_killed_at_random_moments_keeps_the_projections(crash_setup):
    directory, _, _, full, _, _, after = crash_setup
    started = time.monotonic()
    done = timeline("--db", full, "rebuild")
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    expected = assert_verifies(full)
    for trial in range(REBUILD_TRIALS):
        fraction = random.Random(f"rebuild-{trial}").uniform(0.2, 1.0)
        db = directory / f"rebuild-{trial}.db"
        shutil.copy(full, db)
        kill_at(["--db", db, "rebuild"], fraction * duration)
        assert counts(db) == after
        assert assert_verifies(db) == expected
        db.unlink()
