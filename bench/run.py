"""`make bench`: timeline against hand-written baselines, side by side, in one run.

    python -m bench                 # 100,000- and 1,000,000-event logs (about an hour on 2 cores)
    python -m bench --small         # only a 10,000-event log (a few minutes; for trying changes)
    python -m bench --scale 10m     # the scale run: import, verify, publish and serve 10,000,000 events

Generated files are cached under bench/data/ (git-ignored): the synthetic
bundles (bench/synth.py), their JSON Lines exports, the same logs as YAML
bundles (`timeline export --bundles`) and the export's event lines alone (for
sqlite-utils); the large ones take minutes to make, the 10M export about an
hour.  Every measurement is taken again on each run, next to its reference,
so a ratio compares two numbers from the same machine under the same load:
on a shared 2-core machine the absolute times wander with what else runs, the
ratios much less.

Each program measured runs as its own child process and is reaped with
os.wait4, so its peak RSS is that process's own high-water mark (wait4's
rusage covers the child and any children it reaped, never the bench or
earlier measurements, which RUSAGE_CHILDREN's running maximum would).

Prints a table and writes bench/results.json: one object per measurement
with name, value, unit, reference, ratio, target and whether it was met, and
`run`: "bench" (the default run), "small" (--small) or "scale-10m" (--scale).
A run replaces only its own rows, so the default run and the scale run can
both be kept in the one file.  Tests never assert any of it.
"""
import argparse
import cProfile
import datetime
import json
import os
import pstats
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import reference, synth

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
GENERATOR = "v1"  # bump when synth.py changes what it writes: cached files are named by it
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
AS_OF = "2019-06-30"
APPEND_ENTITY = "co-0002"  # an ordinary entity (a few hundred events in the large log)
MB = 1_000_000
RSS_LIMIT = 500 * MB  # issue 16: import and publish in bounded memory, whatever the log's size


def timeline_command():
    script = Path(sys.executable).parent / "timeline"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from timeline.cli import cli; cli()"]


TIMELINE = timeline_command()
SQLITE_UTILS = Path(sys.executable).parent / "sqlite-utils"


def say(message):
    print(message, file=sys.stderr, flush=True)


# ---- running one program as a measured child ----

@dataclass
class Measured:
    seconds: float
    rss: int  # bytes: peak resident set of the child (or of a child it waited for, whichever is larger)
    returncode: int
    stdout: str
    stderr: str
    tree: int = 0  # bytes: largest sampled sum of PSS over the child and its live children (0: not sampled)


class _TreeSampler(threading.Thread):
    """The memory of a process and its descendants at once, sampled: wait4's ru_maxrss is one
    process's peak, and an import that forks a reading process holds two at the same time.  PSS
    (smaps_rollup) shares copy-on-write pages between the processes instead of counting them twice."""

    def __init__(self, pid, every=0.25):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(self.every):
            try:
                self.peak = max(self.peak, sum(_pss(p) for p in _tree(self.pid)))
            except OSError:
                pass

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def _tree(pid):
    pids = [pid]
    for p in pids:
        try:
            with open(f"/proc/{p}/task/{p}/children") as children:
                pids.extend(int(c) for c in children.read().split())
        except OSError:  # gone, or a kernel without the children file: what was found so far
            pass
    return pids


def _pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(args, check=True):
    """Run `args` as one child process; its wall time, peak RSS (os.wait4) and sampled tree PSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen([*map(str, args)], stdout=out, stderr=err, cwd=ROOT)
        sampler = _TreeSampler(child.pid) if Path("/proc/self/smaps_rollup").exists() else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        tree = sampler.stop() if sampler else 0
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        done = Measured(seconds, usage.ru_maxrss * 1024, child.returncode,  # ru_maxrss is in KiB on Linux
                        out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), tree)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def run_timeline(*args, check=True):
    return measure([*TIMELINE, *args], check=check)


def python_child(code, *args):
    """A fresh interpreter running `code` (with bench/ importable): the hand-written references' process."""
    return [sys.executable, "-c", code, *map(str, args)]


RAW_IMPORT = "import sys; from bench.reference import raw_import; raw_import(sys.argv[1], sys.argv[2])"
VACUUM_INTO = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('VACUUM INTO ?', (sys.argv[2],))"
RAW_AS_OF = ("import sqlite3, sys; from bench.reference import state_as_of; "
             "print(state_as_of(sqlite3.connect(sys.argv[1]), sys.argv[2], sys.argv[3]))")


# ---- results ----

class Results:
    def __init__(self, run, path=RESULTS):
        self.run, self.path = run, path
        self.rows = []
        self.started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")

    def add(self, name, value, unit, reference=None, ratio=None, target=None, met=None, note=None):
        row = {"name": name, "value": _round(value), "unit": unit, "reference": _round(reference),
               "ratio": _round(ratio), "target": target, "met": met, "run": self.run, "date": self.started}
        if note:
            row["note"] = note
        self.rows.append(row)
        shown = f"{row['value']} {unit}" + (f" vs {row['reference']}" if reference is not None else "")
        shown += f" → ratio {row['ratio']}" if ratio is not None else ""
        shown += f" (target {target}: {'met' if met else 'MISSED'})" if target else ""
        say(f"  {name}: {shown}")
        self.write()  # after every row: a run stopped half way still leaves what it measured
        return row

    def table(self):
        headers = ("measurement", "value", "reference", "ratio", "target", "")
        lines = [(r["name"], f"{r['value']} {r['unit']}", "" if r["reference"] is None else str(r["reference"]),
                  "" if r["ratio"] is None else str(r["ratio"]), r["target"] or "",
                  "" if r["met"] is None else ("ok" if r["met"] else "MISSED")) for r in self.rows]
        widths = [max(len(str(x)) for x in column) for column in zip(headers, *lines)]
        out = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)),
               "  ".join("-" * w for w in widths)]
        out += ["  ".join(str(c).ljust(w).rstrip() if i == len(widths) - 1 else str(c).ljust(w)
                          for i, (c, w) in enumerate(zip(line, widths))) for line in lines]
        notes = [f"  {r['name']}: {r['note']}" for r in self.rows if r.get("note")]
        return "\n".join(out + (["", "notes:"] + notes if notes else []))

    def write(self):
        """This run's rows, replacing the previous rows of the same run and keeping the other runs'."""
        kept = []
        if self.path.exists():
            try:
                kept = [r for r in json.loads(self.path.read_text(encoding="utf-8"))
                        if r.get("run", "bench") != self.run]
            except (ValueError, AttributeError):
                kept = []
        # whole or not at all: a scale run and the default run may write the file at the same time
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(kept + self.rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(self.path)


def _round(value):
    if isinstance(value, float):
        return round(value, 4 if abs(value) < 10 else 1)
    return value


def mb(n):
    return n / MB


def rss_row(results, name, runs, reference_runs=None, reference_name=None, limit=RSS_LIMIT, note=None):
    """A peak-RSS row of `runs` (Measured, the largest peak of them), beside a reference program's.

    The value is the peak RSS of the measured process itself (os.wait4); the
    sampled peak PSS of its whole tree (with the helpers import and publish
    fork) goes in the note, and the limit is judged on the larger of the two."""
    runs = runs if isinstance(runs, list) else [runs]
    rss, tree = max(r.rss for r in runs), max(r.tree for r in runs)
    ref = None if not reference_runs else max(r.rss for r in reference_runs)
    notes = [note] if note else []
    if tree:
        notes.append(f"with any process it forked (sampled peak PSS of the tree): {mb(tree):,.0f} MB")
    target = f"< {limit // MB} MB" if limit else None
    results.add(name + (f" vs {reference_name}" if reference_name else ""), mb(rss), "MB",
                None if ref is None else mb(ref), None if not ref else rss / ref,
                target, (max(rss, tree) < limit) if limit else None, "; ".join(notes) or None)


# ---- the synthetic logs (cached) ----

def remove_db(path):
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        if leftover.exists():
            leftover.unlink()


def fresh_db(path):
    remove_db(path)
    run_timeline("--db", path, "init")
    return path


def export_for(label):
    """bench/data/export-<gen>-<label>.jsonl: the JSON Lines export of the synthetic log (made once)."""
    events = SIZES[label]
    bundle = DATA / f"synth-{GENERATOR}-{label}.jsonl"
    export = DATA / f"export-{GENERATOR}-{label}.jsonl"
    if export.exists():
        return export
    if not bundle.exists():
        say(f"generating {events:,} synthetic events → {bundle.name}")
        synth.write_jsonl(bundle, events)
    db = fresh_db(DATA / f"build-{label}.db")
    say(f"importing the generated bundle once to record it ({events:,} events)")
    done = run_timeline("--db", db, "import", bundle)
    say(f"  {done.seconds:.1f} s; exporting")
    tmp = export.with_name(export.name + ".tmp")
    run_timeline("--db", db, "export", "-o", tmp)
    tmp.replace(export)
    remove_db(db)
    return export


def events_only(label, export):
    """The export's event lines alone: one table's rows, what `sqlite-utils insert --nl` takes (made once)."""
    path = DATA / f"events-{GENERATOR}-{label}.jsonl"
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        with open(export, "rb") as lines, open(tmp, "wb") as out:
            out.writelines(line for line in lines if b'"record":"event"' in line)
        tmp.replace(path)
    return path


def yaml_bundles_for(label, export):
    """The same log as YAML bundles, one per source (`timeline export --bundles`, made once).

    Written from the log the export imports into, so both forms hold the same
    events with the same chain: the YAML import is compared with the JSON
    Lines import of the very same log."""
    folder = DATA / f"bundles-{GENERATOR}-{label}"
    if not folder.exists():
        db = fresh_db(DATA / f"build-yaml-{label}.db")
        say(f"writing the {label} log as YAML bundles → {folder.name}/")
        run_timeline("--db", db, "import", export)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        run_timeline("--db", db, "export", "--bundles", tmp)
        tmp.replace(folder)
        remove_db(db)
    return folder


def count_events(path):
    with open(path, "rb") as lines:
        return sum(1 for line in lines if b'"record":"event"' in line)


def log_events(db):
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def warm(path):
    """Read a file once so that whichever of two programs runs first does not pay for the disk alone."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


# ---- measurements ----

def _interleaved(functions, rounds, warmup=3):
    """Median seconds of each function, called in turn (order alternating) `rounds` times."""
    for function in functions:
        for _ in range(warmup):
            function()
    times = [[] for _ in functions]
    for n in range(rounds):
        order = list(enumerate(functions))
        if n % 2:
            order.reverse()
        for index, function in order:
            started = time.perf_counter()
            function()
            times[index].append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def _interleaved_children(programs, rounds):
    """{name: [Measured, ...]}: each program run `rounds` times as a child, in turn, order alternating."""
    runs = {name: [] for name in programs}
    for n in range(rounds):
        order = list(programs.items())
        if n % 2:
            order.reverse()
        for name, program in order:
            runs[name].append(program())
    return runs


def _median(runs):
    return statistics.median(run.seconds for run in runs)


def _peak(runs):
    return max(run.rss for run in runs)


def bench_import(results, label, export, rounds, yaml_folder=None):
    """`timeline import` of the export into an empty log vs raw sqlite3 + a Python SHA-256 chain and vs
    `sqlite-utils insert --nl` of its event lines; with `yaml_folder`, the same log imported from YAML
    bundles too.  Medians of `rounds` interleaved runs; peak RSS is the largest of the runs."""
    events = count_events(export)
    db = DATA / f"run-{label}.db"
    ref_db = DATA / f"reference-{label}.db"
    yaml_db = DATA / f"run-yaml-{label}.db"
    lines = events_only(label, export) if SQLITE_UTILS.exists() else None

    def ours():
        fresh_db(db)
        return run_timeline("--db", db, "import", export)

    def raw():
        fresh_db(ref_db)
        try:
            return measure(python_child(RAW_IMPORT, export, ref_db))
        finally:
            remove_db(ref_db)

    def sqlite_utils():
        remove_db(ref_db)  # an empty file, no schema: sqlite-utils makes its one table from the rows
        try:
            return measure([SQLITE_UTILS, "insert", ref_db, "events", lines, "--nl"])
        finally:
            remove_db(ref_db)

    def yaml():
        fresh_db(yaml_db)
        try:
            return run_timeline("--db", yaml_db, "import", yaml_folder)
        finally:
            remove_db(yaml_db)

    programs = {"timeline": ours, "raw": raw}
    if lines:
        programs["sqlite-utils"] = sqlite_utils
    if yaml_folder:
        programs["yaml"] = yaml
    say(f"import {label}: {' / '.join(programs)} ({events:,} events, {rounds} interleaved round(s))")
    runs = _interleaved_children(programs, rounds)
    # the last timeline run comes last or first in its round: its log is the one the other measurements use
    ours_rate = events / _median(runs["timeline"])
    raw_rate = events / _median(runs["raw"])
    rounds_note = f"median of {rounds} interleaved runs" if rounds > 1 else "one run each, back to back"
    name = f"import {label} ({events:,} events, JSON Lines export)"
    if SIZES[label] >= 100_000:
        results.add(f"{name} vs raw sqlite3 + SHA-256 chain", ours_rate, "events/s", raw_rate,
                    ours_rate / raw_rate, "≥ 0.6", ours_rate / raw_rate >= 0.6, rounds_note)
    else:  # startup and first-time costs are most of a small import: no throughput target there
        results.add(f"{name} vs raw sqlite3 + SHA-256 chain", ours_rate, "events/s", raw_rate, ours_rate / raw_rate,
                    note="the 0.6 target is for 100k and 1M: at 10k, interpreter, SQLAlchemy and schema "
                         "startup and the first reading of each distinct date dominate")
    if "sqlite-utils" in runs:
        theirs = events / _median(runs["sqlite-utils"])
        results.add(f"{name} vs sqlite-utils insert --nl (event lines only)", ours_rate, "events/s", theirs,
                    ours_rate / theirs, note="sqlite-utils stores each line as a row, with no validation, "
                                             "chain, indexes or projections")
    else:
        say("  sqlite-utils is not installed (pip install -e '.[bench]'): that comparison is skipped")
    rss_row(results, f"import {label} peak RSS", runs["timeline"], runs["raw"], "raw sqlite3 + chain",
            note="raw holds every row until one executemany")
    if "sqlite-utils" in runs:
        rss_row(results, f"import {label} peak RSS", runs["timeline"], runs["sqlite-utils"], "sqlite-utils insert --nl")
    if yaml_folder:
        yaml_rate = events / _median(runs["yaml"])
        files = sum(1 for _ in yaml_folder.iterdir())
        results.add(f"import {label} as YAML bundles ({files:,} files) vs the same log as JSON Lines", yaml_rate,
                    "events/s", ours_rate, yaml_rate / ours_rate, "≥ 0.8", yaml_rate / ours_rate >= 0.8,
                    f"{rounds_note}; {libyaml_check(yaml_folder)}")
    return db, ours_rate


def libyaml_check(folder):
    """Whether timeline's YAML loader really runs libyaml: profile one load and look for PyYAML's
    pure-Python scanner, parser and reader (the C parser replaces all three)."""
    import yaml

    from timeline import bundles

    sample = next(p for p in sorted(folder.iterdir()) if p.stem not in ("entities", "metrics"))
    profile = cProfile.Profile()
    profile.enable()
    bundles.load_yaml(sample.read_text(encoding="utf-8"))
    profile.disable()
    python_parts = sorted({Path(f).name for f, *_ in pstats.Stats(profile).stats
                           if Path(f).parent.name == "yaml" and Path(f).name in ("scanner.py", "parser.py", "reader.py")})
    c_parser = getattr(yaml, "__with_libyaml__", False) and any(
        cls.__name__ == "CParser" for cls in bundles._StrictLoader.__mro__)
    if c_parser and not python_parts:
        return "libyaml's C parser is used (PyYAML's Python scanner/parser never run; composing is Python)"
    return f"libyaml NOT used: C parser in loader {bool(c_parser)}, pure-Python parts run: {python_parts or 'none'}"


def bench_rebuild(results, label, db, import_rate):
    events = log_events(db)
    say(f"rebuild {label}")
    done = run_timeline("--db", db, "rebuild")
    rate = events / done.seconds
    results.add(f"rebuild {label} (vs import throughput)", rate, "events/s", import_rate, rate / import_rate,
                "≥ 0.5", rate / import_rate >= 0.5, f"{done.seconds:.1f} s, peak RSS {mb(done.rss):.0f} MB")


def bench_verify(results, label, db, what="the live log"):
    """`timeline verify` (every chain, the projections; for a published file its record and reader tables)."""
    events = log_events(db)
    say(f"verify {label} ({what})")
    args = ["--db", db, "verify"] if what == "the live log" else ["verify", db]
    done = run_timeline(*args, check=False)
    if done.returncode != 0:
        results.add(f"verify {label} ({what})", None, "", note=f"timeline verify failed: {done.stderr.strip()[:300]}")
        return None
    results.add(f"verify {label} ({what}, {events:,} events)", done.seconds, "s",
                note=f"{events / done.seconds:,.0f} events/s")
    rss_row(results, f"verify {label} ({what}) peak RSS", done)
    return done


def bench_append(results, big_db, export):
    """Timeline.add on the large log vs on an empty log with the same registry and source."""
    from timeline import Timeline

    small = DATA / "append-empty.db"
    fresh_db(small)
    seed = DATA / "append-seed.jsonl"
    with open(export, encoding="utf-8") as lines, open(seed, "w", encoding="utf-8") as out:
        for line in lines:
            if '"record":"entity"' in line:
                out.write(line)
            elif '"record":"source"' in line:
                out.write(line)
                source = json.loads(line)["key"]
                break
    run_timeline("--db", small, "import", seed)
    seed.unlink()
    stores = [Timeline.open(str(big_db)), Timeline.open(str(small))]
    stamp = time.strftime("%Y%m%d%H%M%S")
    counter = [0]

    def append(store, entity):
        def go():
            counter[0] += 1
            store.add(entity, "financial_result", "Q3 2026", "A benchmark figure.", "A benchmark figure.", source,
                      id=f"{entity}/bench-{stamp}-{counter[0]}",
                      attributes={"metric": "revenue", "value": {"amount": counter[0], "unit": "USD"}})
        return go

    for entity, label in ((APPEND_ENTITY, "an ordinary entity"), (synth.HEAVY, "the entity with 1% of the log")):
        say(f"append: one event for {label}, 1,000,000-event log vs empty log")
        big, empty = _interleaved([append(stores[0], entity), append(stores[1], entity)], rounds=25)
        results.add(f"append one event ({label}) to 1M log vs empty log", big * 1000, "ms", empty * 1000,
                    big / empty, "≤ 1.2", big / empty <= 1.2)
    for store in stores:
        store.engine.dispose()
    remove_db(small)


def bench_as_of(results, dbs, small_label):
    """queries.state(probe, as_of) on the large log vs raw SQL, and vs the same question on the small log."""
    from timeline import database, queries

    engines = {label: database.connect(str(db)) for label, db in dbs.items()}
    conns = {label: engine.connect() for label, engine in engines.items()}
    raw = sqlite3.connect(dbs["1m"])
    try:
        answers = {label: queries.state(conn, synth.PROBE, as_of=AS_OF) for label, conn in conns.items()}
        ours = {k: v.event for k, v in answers["1m"].state.items()}
        theirs = reference.state_as_of(raw, synth.PROBE, AS_OF)
        same = ours == theirs and ours == {k: v.event for k, v in answers[small_label].state.items()}
        note = None if same else f"ANSWERS DIFFER between timeline, the raw query and the {small_label} log"
        if not same:
            say(f"  {note}")
        say(f"as of: state of {synth.PROBE} ({len(ours)} keys) as of {AS_OF}")
        big, raw_time, small = _interleaved([
            lambda: queries.state(conns["1m"], synth.PROBE, as_of=AS_OF),
            lambda: reference.state_as_of(raw, synth.PROBE, AS_OF),
            lambda: queries.state(conns[small_label], synth.PROBE, as_of=AS_OF),
        ], rounds=60)
        results.add("state as of a date (1M log) vs hand-written SQL", big * 1000, "ms", raw_time * 1000,
                    big / raw_time, "≤ 3", big / raw_time <= 3, note)
        results.add(f"state as of a date: 1M log vs {small_label} log", big * 1000, "ms", small * 1000, big / small,
                    "≤ 1.5", big / small <= 1.5, note)
    finally:
        raw.close()
        for conn in conns.values():
            conn.close()
        for engine in engines.values():
            engine.dispose()


def first_source(export):
    with open(export, encoding="utf-8") as lines:
        for line in lines:
            if '"record":"source"' in line:
                return json.loads(line)["key"]
    raise SystemExit(f"{export} names no source")


def bench_commands(results, label, db, export, rounds=7):
    """Each reading command and `add`, a fresh process each time, vs `timeline --help` (the floor of any
    command: interpreter, click, the CLI module); `show --as-of` vs its SQL in a fresh python process."""
    source = first_source(export)
    stamp = time.strftime("%Y%m%d%H%M%S")
    counter = [0]
    entity = APPEND_ENTITY

    def timeline(*args):
        return lambda: run_timeline("--db", db, *args)

    def add():
        counter[0] += 1
        return run_timeline("--db", db, "add", "--entity", entity, "--kind", "financial_result", "--date", "Q3 2026",
                            "--summary", "A benchmark figure.", "--quote", "A benchmark figure.", "--source", source,
                            "--attr", "metric=revenue", "--attr", f"value={counter[0]} USD",
                            "--id", f"{entity}/cli-{stamp}-{counter[0]}")

    programs = {
        "--help": lambda: run_timeline("--help"),
        "add": add,
        "show": timeline("show", entity),
        "log": timeline("log", entity),
        "history": timeline("history", entity, "revenue"),
        "show --as-of": timeline("show", synth.PROBE, "--as-of", AS_OF),
        "raw as-of": lambda: measure(python_child(RAW_AS_OF, db, synth.PROBE, AS_OF)),
    }
    say(f"commands on the {label} log: {', '.join(programs)} ({rounds} interleaved rounds)")
    _interleaved_children(programs, 1)  # warm-up: the page cache and .pyc files, for every program alike
    runs = _interleaved_children(programs, rounds)
    help_time = _median(runs["--help"])
    for name, what in (("add", f"one event for {entity}"), ("show", entity), ("log", entity),
                       ("history", f"{entity} revenue")):
        ours = _median(runs[name])
        results.add(f"timeline {name} ({what}), {label} log, vs timeline --help", ours * 1000, "ms",
                    help_time * 1000, ours / help_time, "≤ 2", ours / help_time <= 2,
                    f"peak RSS {mb(_peak(runs[name])):.0f} MB")
    ours, theirs = _median(runs["show --as-of"]), _median(runs["raw as-of"])
    results.add(f"timeline show {synth.PROBE} --as-of {AS_OF}, {label} log, vs the same SQL in a fresh python",
                ours * 1000, "ms", theirs * 1000, ours / theirs, "≤ 3", ours / theirs <= 3)


def bench_publish(results, label, db, export, rounds=1, name=None):
    """`timeline publish` vs `VACUUM INTO` of the same live file (the physical floor of a copy), both in
    a fresh process after the file was read once, interleaved when rounds > 1.  `name`: the rows' label
    (default `label`, which names the files)."""
    out = DATA / f"published-{label}.db"
    floor = DATA / f"vacuum-{label}.db"
    shown = name or label
    events = log_events(db)

    def publish():
        remove_db(out)
        return run_timeline("--db", db, "publish", out, check=False)

    def vacuum():
        remove_db(floor)
        done = measure(python_child(VACUUM_INTO, db, floor))
        done.size = floor.stat().st_size
        remove_db(floor)  # as large as the log: never left beside it
        return done

    warm(db)
    say(f"publish {label}: timeline publish / VACUUM INTO ({events:,} events, {rounds} round(s))")
    # VACUUM INTO first: its copy is deleted before the published file exists, so a 10M run needs
    # room for one extra copy of the log at a time, not two
    runs = _interleaved_children({"vacuum": vacuum, "publish": publish}, rounds)
    failed = [run for run in runs["publish"] if run.returncode != 0]
    if failed:
        results.add(f"publish {shown}", None, "", note=f"timeline publish failed: {failed[0].stderr.strip()[:300]}")
        return None
    ours, theirs = _median(runs["publish"]), _median(runs["vacuum"])
    results.add(f"publish {shown} ({events:,} events) vs VACUUM INTO of the live file", ours, "s", theirs,
                ours / theirs, "≤ 5", ours / theirs <= 5,
                f"{events / ours:,.0f} events/s" + (f"; median of {rounds} interleaved runs" if rounds > 1 else ""))
    rss_row(results, f"publish {shown} peak RSS", runs["publish"], runs["vacuum"], "VACUUM INTO")
    size, jsonl, copy = out.stat().st_size, export.stat().st_size, runs["vacuum"][-1].size
    results.add(f"published file size {shown} vs JSON Lines export", mb(size), "MB", mb(jsonl), size / jsonl,
                "≤ 2", size / jsonl <= 2, f"live log {mb(Path(db).stat().st_size):,.0f} MB, "
                                          f"its VACUUM INTO copy {mb(copy):,.0f} MB")
    return out


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_web(results, label, db, published, rounds=15):
    """The plugin's entity page (HTML and JSON) for the heavy entity vs Datasette's table page
    filtered to it (HTML and JSON), served by `timeline serve` from the published file."""
    import httpx

    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen([*TIMELINE, "--db", str(db), "serve", "--port", str(port), "--out", str(published)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 1800
        with httpx.Client(base_url=base, timeout=600) as client:
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"timeline serve exited: {server.stdout.read()}")
                try:
                    if client.get("/-/versions.json").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("timeline serve did not start within 30 minutes")
                time.sleep(0.5)
            ready = time.perf_counter() - started
            name = published.stem
            with sqlite3.connect(f"file:{published}?mode=ro", uri=True) as conn:
                count = conn.execute("SELECT count(*) FROM events WHERE entity = ?", (synth.HEAVY,)).fetchone()[0]
            pairs = (("entity page", f"/-/timeline/{synth.HEAVY}", f"/{name}/events?entity={synth.HEAVY}",
                      "filtered table page"),
                     ("entity JSON", f"/-/timeline/{synth.HEAVY}.json", f"/{name}/events.json?entity={synth.HEAVY}",
                      "filtered table JSON"))
            for what, ours_path, theirs_path, their_name in pairs:
                sizes = {}
                first = {}
                for path in (ours_path, theirs_path):
                    began = time.perf_counter()
                    response = client.get(path)
                    first[path] = time.perf_counter() - began
                    if response.status_code != 200:
                        results.add(f"web {label}: {what} vs {their_name}", None, "",
                                    note=f"GET {path} answered {response.status_code}")
                        break
                    sizes[path] = len(response.content)
                else:
                    def get(path):
                        return lambda: client.get(path).raise_for_status()

                    say(f"web {label}: GET {ours_path} vs GET {theirs_path}")
                    ours, theirs = _interleaved([get(ours_path), get(theirs_path)], rounds=rounds, warmup=1)
                    results.add(f"web {label}: {what} ({synth.HEAVY}, {count:,} events) vs Datasette's {their_name}",
                                ours * 1000, "ms", theirs * 1000, ours / theirs, "≤ 2", ours / theirs <= 2,
                                f"median of {rounds}; {sizes[ours_path] / 1000:,.0f} KB vs "
                                f"{sizes[theirs_path] / 1000:,.0f} KB (Datasette's page holds its first rows only); "
                                f"first request {first[ours_path] * 1000:,.0f} ms vs {first[theirs_path] * 1000:,.0f} ms")
            return ready
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def bench_help(results):
    def command(args):
        return lambda: subprocess.run(args, capture_output=True, check=True)

    say("timeline --help vs python -c 'import click'")
    ours, theirs = _interleaved([command([*TIMELINE, "--help"]), command([sys.executable, "-c", "import click"])],
                                rounds=15, warmup=2)
    results.add("timeline --help vs python -c 'import click'", ours * 1000, "ms", theirs * 1000, ours / theirs,
                "≤ 2", ours / theirs <= 2)


def bench_draft(results):
    try:
        from . import draft_quality
    except ImportError as error:
        say(f"draft quality: skipped ({error})")
        return
    say("draft quality (bench/draft_quality.py)")
    try:
        rows = draft_quality.run()
    except Exception as error:  # another team's measurement: report it, keep the run going
        results.add("draft quality", None, "", note=f"draft_quality.run() failed: {error!r}")
        return
    for row in rows:  # batch A's score beside the seeds' (its reference) where documents/ is present
        results.add(row["name"], row["value"], row.get("unit", ""), row.get("reference"))


# ---- the runs ----

def default_run(results, labels, rounds, web):
    """Every comparison, each size: imports first (the logs every later step reads), then the rest."""
    exports = {label: export_for(label) for label in labels}
    small, big = labels[0], labels[-1]
    yaml_folder = yaml_bundles_for(small, exports[small])
    dbs, rates = {}, {}
    for label in labels:
        label_rounds = rounds if rounds else (3 if SIZES[label] <= 100_000 else 1)
        dbs[label], rates[label] = bench_import(results, label, exports[label], label_rounds,
                                                yaml_folder if label == small else None)
    if "1m" in dbs and len(dbs) > 1:
        bench_as_of(results, dbs, small)
        bench_append(results, dbs["1m"], exports["1m"])
    bench_verify(results, big, dbs[big])
    bench_rebuild(results, big, dbs[big], rates[big])
    bench_commands(results, big, dbs[big], exports[big])
    published = {}
    if web:
        for label in labels:
            published[label] = bench_publish(results, label, dbs[label], exports[label],
                                             rounds=2 if SIZES[label] <= 100_000 else 1)
        if published[big]:
            bench_verify(results, big, published[big], what="the published file")
            bench_web(results, big, dbs[big], published[big])
    bench_help(results)
    bench_draft(results)
    return [*dbs.values(), *filter(None, published.values())]


def scale_run(results, label):
    """Import, verify, publish and serve one large log, recording times, peak RSS and file sizes.

    No raw-sqlite3 or sqlite-utils import beside it (the raw reference holds
    every row in memory: ~16 GB at 10M; the default run makes those
    comparisons at 100k and 1M); VACUUM INTO stays beside publish."""
    export = export_for(label)
    # the live log is ~1.3× its export and the published file ~1.7×; the VACUUM INTO copy is gone
    # before the published file is written: ~3× the export at once, beside the export itself
    need, free = 3.2 * export.stat().st_size, shutil.disk_usage(DATA).free
    if free < need:
        raise SystemExit(f"scale {label}: {free / 1e9:.0f} GB free in {DATA}, about {need / 1e9:.0f} GB needed")
    events = count_events(export)
    db = fresh_db(DATA / f"run-{label}.db")
    results.add(f"scale {label}: JSON Lines export size", mb(export.stat().st_size), "MB", note=f"{events:,} events")
    say(f"scale {label}: timeline import ({events:,} events)")
    done = run_timeline("--db", db, "import", export)
    results.add(f"scale {label}: import ({events:,} events)", done.seconds, "s", note=f"{events / done.seconds:,.0f} events/s")
    rss_row(results, f"scale {label}: import peak RSS", done)
    results.add(f"scale {label}: live log file size", mb(db.stat().st_size), "MB")
    bench_verify(results, f"scale {label}", db)
    published = bench_publish(results, label, db, export, name=f"scale {label}")
    if published:
        ready = bench_web(results, f"scale {label}", db, published, rounds=3)
        results.add(f"scale {label}: timeline serve until it answers (published file up to date)", ready, "s")
    return [db, published]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="only the 10,000-event log")
    parser.add_argument("--scale", choices=list(SIZES), metavar="SIZE",
                        help=f"the scale run alone on one log ({', '.join(SIZES)}): import, verify, publish, serve")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of each import and publish "
                                                   "(default 3 up to 100k events, 1 above)")
    parser.add_argument("--no-web", action="store_true", help="skip publishing and Datasette")
    parser.add_argument("--keep", action="store_true", help="keep the logs and published files made (bench/data/run-*)")
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.scale:
        results = Results(f"scale-{args.scale}")
        made = scale_run(results, args.scale)
    else:
        labels = ["10k"] if args.small else ["100k", "1m"]
        results = Results("small" if args.small else "bench")
        made = default_run(results, labels, args.rounds, not args.no_web)
    results.write()
    print(results.table())
    print(f"\n{len(results.rows)} measurements in {time.perf_counter() - started:.0f} s; "
          f"written to {RESULTS.relative_to(ROOT)} (run {results.run!r})")
    if not args.keep:
        for path in filter(None, made):
            remove_db(Path(path))
    return 0
