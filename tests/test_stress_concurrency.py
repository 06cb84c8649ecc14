"""Concurrent writers: 4 processes append 2,500 events each to one log, at once.

Each process appends the way curators do, in small units: it imports
one-source YAML bundles of 7 events (Timeline.import_bundles, what `timeline
import` calls) and, between them, adds single events (Timeline.add, what
`timeline add` calls): 700 transactions per process, released together by a
start barrier.  Afterwards the log must hold exactly the 10,000 events, in
one unbroken chain (seq 1..N, each prev_hash the previous hash), with no
duplicate or missing id, and projections equal to a replay: `timeline
verify` checks the last two.  No writer may see an error: the write lock
(BEGIN IMMEDIATE with a busy timeout on SQLite, an advisory lock on
PostgreSQL) makes them queue, so stderr of every process must be empty; a
"database is locked" would show there as a traceback.

Runs on every backend the `db` fixture offers (PostgreSQL when its server is
installed).  The worker is this module run as a script.
"""
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from timeline import database

from .conftest import ROOT, Cli

WORKERS = 4
EVENTS_PER_WORKER = 2500
BUNDLE_EVENTS = 7
BUNDLES = 300                 # 300 bundles x 7 events = 2,100 events
SINGLES = EVENTS_PER_WORKER - BUNDLES * BUNDLE_EVENTS  # + 400 single appends = 2,500
ENTITIES = ("acme", "globex", "initech")

SETUP_YAML = """\
entities:
- {key: acme, name: Acme Motors Inc., type: company}
- {key: globex, name: Globex Holdings, type: company}
- {key: initech, name: Initech Corp., type: company, fiscal_year_end: "03-31"}
"""


def event_yaml(worker, n):
    entity = ENTITIES[n % len(ENTITIES)]
    if n % 2:
        return (f"- id: {entity}/w{worker}-{n}\n  entity: {entity}\n  kind: launch\n  date: Q{n % 4 + 1} 2025\n"
                f"  summary: Worker {worker} launch {n}.\n  attributes: {{product: P{worker}-{n}}}\n"
                f"  quote: Launch {n} by worker {worker}.\n")
    return (f"- id: {entity}/w{worker}-{n}\n  entity: {entity}\n  kind: financial_result\n  date: Q{n % 4 + 1} 2024\n"
            f"  summary: Worker {worker} revenue {n}.\n"
            f"  attributes: {{metric: revenue, value: {{amount: {n * 1000 + worker}, unit: USD}}}}\n"
            f"  quote: Revenue {n} by worker {worker}.\n")


def bundle_yaml(worker, number, first):
    events = "".join(event_yaml(worker, n) for n in range(first, first + BUNDLE_EVENTS))
    return (f"source:\n  key: w{worker}-b{number}\n  title: Worker {worker} bundle {number}\n"
            f"  published_on: '2025-09-{number % 28 + 1:02d}'\nevents:\n{events}")


def work(db, worker, go_file, ready_file):
    """One writer: BUNDLES bundle imports with SINGLES single appends spread between them."""
    from timeline import Timeline, bundles

    timeline = Timeline.open(db)
    Path(ready_file).touch()
    while not Path(go_file).exists():
        time.sleep(0.005)
    n, singles_left = 0, SINGLES
    for number in range(BUNDLES):
        timeline.import_bundles([bundles.read_yaml(bundle_yaml(worker, number, n), f"w{worker}-{number}.yml")])
        n += BUNDLE_EVENTS
        for _ in range(-(-singles_left // (BUNDLES - number))):  # spread the singles evenly
            entity = ENTITIES[n % len(ENTITIES)]
            timeline.add(entity, "headquarters", f"2025-{n % 12 + 1:02d}-01", f"Worker {worker} move {n}.",
                         f"Moved, {n}.", f"w{worker}-b0", id=f"{entity}/w{worker}-{n}",
                         attributes={"location": f"City {worker}-{n}"})
            n += 1
            singles_left -= 1
    assert n == EVENTS_PER_WORKER


def test_four_writers_at_once_make_one_unbroken_chain(db, tmp_path):
    Cli(db).ok("import", _setup_bundle(tmp_path))
    engine = database.connect(db)
    before = _count(engine)
    go, processes = tmp_path / "go", []
    for worker in range(WORKERS):
        ready = tmp_path / f"ready-{worker}"
        processes.append((ready, subprocess.Popen(
            [sys.executable, "-m", "tests.test_stress_concurrency", db, str(worker), str(go), str(ready)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + 120
    while not all(ready.exists() for ready, _ in processes):
        assert all(p.poll() is None for _, p in processes), [p.communicate() for _, p in processes]
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.01)
    go.touch()
    for worker, (_, process) in enumerate(processes):
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0 and err == "", f"writer {worker} (exit {process.returncode}):\n{err}"

    total = WORKERS * EVENTS_PER_WORKER
    verified = Cli(db).ok("verify")
    assert verified.startswith(f"ok: {before + total} events"), verified
    with engine.connect() as conn:
        ids = [row.id for row in conn.execute(sa.text("SELECT id FROM events WHERE id LIKE '%/w%-%' ORDER BY seq"))]
        seqs = [row.seq for row in conn.execute(sa.text("SELECT seq FROM events ORDER BY seq"))]
    engine.dispose()
    assert len(ids) == len(set(ids)) == total
    assert seqs == list(range(1, before + total + 1))
    writers = [int(i.split("/w")[1].split("-")[0]) for i in ids]
    assert Counter(writers) == {w: EVENTS_PER_WORKER for w in range(WORKERS)}
    switches = sum(a != b for a, b in zip(writers, writers[1:]))
    print(f"\n{total} events from {WORKERS} writers; the writer changed {switches} times along the chain")
    assert switches > WORKERS * 10, "the writers did not run at the same time"


def _setup_bundle(tmp_path):
    directory = tmp_path / "setup"
    directory.mkdir()
    (directory / "entities.yml").write_text(SETUP_YAML, encoding="utf-8")
    return directory


def _count(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events")).scalar()


if __name__ == "__main__":
    work(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
