"""Importing bundles and exports: every file in one write transaction, in bounded memory.

`Importer(writer).run(inputs)` applies what YAML bundles, JSON Lines exports
(read as streams, bundles.JsonlFile) and parsed Bundles hold, in this order,
the order a log rebuilt from its files needs:

1. the entities of every file (entities.yml first), then the parents are
   checked; the metrics; the sources, those that carry their recorded_at
   (written back) first in that order, then the rest in the order of the files;
2. the events: those that carry their seq (written back) first, by seq, then
   the rest in the order of the files.

An export is read twice, and parsed once: its registry records (which come
first in an export) in step 1, its events from where they start in step 2,
streamed in batches of writer.BATCH through the writer.  A record a file puts
after its first event is taken where it stands when that gives the same log
(a source without a recorded_at, as synthetic bundles interleave them);
otherwise the import starts again (`Restart`, the transaction rolled back) in
the exact way: every file read in full in step 1, its events waiting in a
Spool; an error met while streaming does the same when such a record lies
further on (the exact way may take the event the error was about), so the
outcome never depends on the batch size.  Events that must be sorted
(written back with a seq) wait in the Spool too: in memory while few, then
in a temporary SQLite file.

The whole import is one transaction: an error anywhere leaves the log as it was.
"""
import json
import os
import pickle
import queue
import re
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import bundles
from .errors import TimelineError
from .progress import SILENT

SPOOL_IN_MEMORY = 20000  # events a Spool holds in memory before it moves them to a temporary file
SPOOL_WRITE = 2000


class Restart(Exception):
    """A file's records cannot be taken in the order they stream: import again, reading files in full."""


@dataclass
class Input:
    """One file (or parsed Bundle) of an import."""
    number: int
    path: str
    size: int = 0
    bundle: object = None  # a parsed Bundle (YAML, or an export read in full)
    jsonl: object = None  # bundles.JsonlFile, streamed
    resume: tuple = (0, 0)  # (byte offset, line number) of its first event
    events: int = 0  # events read so far (each event's index in its file)
    registry: dict = field(default_factory=lambda: {"entities": [], "metrics": [], "sources": []})


def inputs_for(paths):
    """Inputs for the bundle files under `paths` (bundles.files_under's order)."""
    found = []
    for number, path in enumerate(bundles.files_under(paths)):
        try:
            size = path.stat().st_size if path.is_file() else 0
        except OSError:
            size = 0
        found.append(Input(number, str(path), size))
    return found


def inputs_of(parsed):
    """Inputs for Bundles already parsed (Timeline.import_bundles)."""
    return [Input(number, bundle.path, bundle=bundle) for number, bundle in enumerate(parsed)]


class Importer:
    def __init__(self, writer, progress=SILENT, exact=False):
        self.writer = writer
        self.progress = progress
        self.exact = exact  # read every file in full before the events (after a Restart)
        self.spool = Spool()
        self.sources = []  # (raw, path, input number), in the order read
        self.late_sources_ok_after = -1  # a late source is taken in place only in files from this one on

    def run(self, inputs):
        total = sum(i.size for i in inputs)
        try:
            with self.progress.task("importing", total=total or None, unit="bytes") as task:
                self.task = task
                for entry in inputs:
                    self._read_registry(entry)
                self._apply_registry(inputs)
                self._append(inputs)
        finally:
            self.spool.close()
        self.writer.flush(self.progress)
        _reorder(self.writer.report)
        return self.writer.report

    # ---- step 1: what every file names ----

    def _read_registry(self, entry):
        if entry.bundle is None and Path(entry.path).suffix != ".jsonl":
            bundle = bundles.read_file(entry.path)  # a YAML bundle: read in full (at most 64 MB)
            self.task.advance(entry.size)
        else:
            bundle = entry.bundle
        if bundle is not None:
            entry.registry = {"entities": bundle.entities, "metrics": bundle.metrics, "sources": bundle.sources}
            for index, raw in enumerate(bundle.events, 1):
                key = _seq_first(raw)
                self.spool.add(key if key[0] == 0 else (1, entry.number), (raw, bundle.path, index, bundle.default_source))
            entry.events = len(bundle.events)
        else:
            self._read_jsonl_registry(entry)
        for source in entry.registry["sources"]:
            self.sources.append((source, entry.path, entry.number))

    def _read_jsonl_registry(self, entry):
        """An export's records up to its first event (in the exact way: all of them, its events spooled)."""
        entry.jsonl = reader = bundles.JsonlFile(entry.path)
        entry.size = reader.size
        with reader.open() as handle:
            last = 0
            for number, offset, kind, record in reader.records(handle):
                if kind == "event":
                    if not self.exact:
                        entry.resume = (offset, number - 1)
                        self.task.advance(offset)
                        return
                    raw, new_source = reader.event(record, number)
                    if new_source is not None:
                        entry.registry["sources"].append(new_source)
                    entry.events += 1
                    self.spool.add((1, entry.number), (raw, entry.path, entry.events, None))
                else:
                    reader.registry_record(kind, record)
                    entry.registry[_PLURAL[kind]].append(record)
                if offset - last > 1 << 20:
                    self.task.advance(offset - last)
                    last = offset
            self.task.advance(reader.size - last)
            entry.resume = None  # nothing left to stream

    def _apply_registry(self, inputs):
        writer = self.writer
        for entry in inputs:
            writer.add_entities(entry.registry["entities"], entry.path)
        writer.check_parents()
        for entry in inputs:
            writer.add_metrics(entry.registry["metrics"], entry.path)
        if len(self.sources) > 50:
            writer.sources.load_all()  # one query, not one per source
        for source, path, number in sorted(self.sources, key=lambda item: _recorded_first(item[0])):
            writer.add_source(source, path)
            if _recorded_first(source)[0] == 1:
                self.late_sources_ok_after = max(self.late_sources_ok_after, number)
        for entry in inputs:
            entry.registry = None
        self.sources = []

    # ---- step 2: the events ----

    def _append(self, inputs):
        """Prepare every event (writer.prepare) and commit it in its turn, a batch at a time.

        An event's error is raised when its batch is committed; had the import read on, a record further
        on might have restarted it the exact way, where every file's entities, metrics and sources come
        before any event and the same event may be fine.  So an error while streaming is final only if
        no such record follows: the outcome is the exact way's whatever the batch size or the process
        that reads."""
        try:
            self._append_all(inputs)
        except TimelineError:
            if not self.exact and self._restart_ahead(inputs):
                raise Restart("an error while streaming, and records ahead the exact way reads first") from None
            raise

    def _restart_ahead(self, inputs):
        """Whether a streamed file holds, after its first event, a record that restarts the import when
        reached (_jsonl_items, _check_late).  Reads the files again (only an import that fails does),
        parsing only the lines that may be such a record: a line that says it is an event is one."""
        for entry in inputs:
            if entry.jsonl is None or entry.resume is None:
                continue
            late_in_place = self.late_sources_ok_after <= entry.number
            try:
                handle = open(entry.path, "rb")
            except OSError:
                return False  # the exact way cannot read it either
            with handle:
                handle.seek(entry.resume[0])
                while True:
                    line = handle.readline(bundles.MAX_LINE_BYTES + 1)
                    if not line:
                        break
                    if late_in_place and (b'"record"' not in line or _EVENT_RECORD.search(line)):
                        continue  # an event (a record without "record" is one): only its source can matter
                    try:
                        record = json.loads(line) if line.strip() else {}
                    except (ValueError, RecursionError):
                        return False  # the file is bad further on: the exact way fails too
                    kind = record.get("record", "event") if isinstance(record, dict) else None
                    if kind in ("entity", "metric"):
                        return True
                    if kind == "source" and (_recorded_first(record)[0] == 0 or not late_in_place):
                        return True
                    if kind == "event" and not late_in_place and isinstance(record.get("source"), dict):
                        return True  # (it may name a new source: the exact way settles it)
        return False

    def _append_all(self, inputs):
        writer, batch = self.writer, []
        for item in self._prepared(inputs):
            if item[0] == "source":  # a source named after events: in its turn
                self._commit(batch)
                batch = []
                writer.add_source(item[1], item[2])
                continue
            if item[0] == "error":  # the file itself (not JSON, its chain broken): in its turn too
                self._commit(batch)
                raise item[1]
            batch.append(item[1:])
            if len(batch) >= writer.BATCH:
                self._commit(batch)
                batch = []
        self._commit(batch)

    def _commit(self, batch):
        if batch:
            self.writer.commit_items(batch)
            self.writer.insert_pending()

    def _prepared(self, inputs):
        """("event", prepared or its TimelineError, where, index, label) and ("source", raw, where), in
        import order."""
        writer = self.writer
        for raw, where, index, default_source in self._spooled(inputs, before=True):
            yield "event", writer.prepared(raw, where, index, default_source), where, index, _label(raw)
        for entry in inputs:
            for raw, where, index, default_source in self._spooled(inputs, entry=entry):
                yield "event", writer.prepared(raw, where, index, default_source), where, index, _label(raw)
            if entry.jsonl is not None and entry.resume is not None:
                if _forking() and entry.size - entry.resume[0] > PIPELINE_BYTES:
                    yield from self._pipelined(entry)
                else:
                    yield from self._prepared_jsonl(entry)
        self.spool.close()

    def _spooled(self, inputs, before=False, entry=None):
        """The spooled events with seq (before=True), or those of `entry`."""
        if not hasattr(self, "_spool_iter"):
            self._spool_iter = self.spool.ordered()
            self._waiting = next(self._spool_iter, None)
        while self._waiting is not None and (self._waiting[0][0] == 0 if before else self._waiting[0] == (1, entry.number)):
            yield self._waiting[1]
            self._waiting = next(self._spool_iter, None)

    def _prepared_jsonl(self, entry):
        writer = self.writer
        try:
            for item in self._jsonl_items(entry):
                if item[0] == "source":
                    yield "source", item[1], entry.path
                else:
                    raw, index = item[1], item[2]
                    yield "event", writer.prepared(raw, entry.path, index, None), entry.path, index, _label(raw)
        except TimelineError as error:
            yield "error", error

    def _jsonl_items(self, entry, task=None):
        """("event", raw, index in the file) and ("source", raw) of an export from its first event on."""
        reader, task = entry.jsonl, task or self.task
        offset, number = entry.resume
        last = offset
        with reader.open() as handle:
            for number, offset, kind, record in reader.records(handle, offset, number):
                if kind == "event":
                    raw, new_source = reader.event(record, number)
                    if new_source is not None:
                        self._check_late(new_source, entry)
                        yield "source", new_source
                    entry.events += 1
                    yield "event", raw, entry.events
                elif kind == "source":
                    reader.registry_record(kind, record)
                    self._check_late(record, entry)
                    yield "source", record
                else:  # an entity or a metric after events: every file's come before any event
                    raise Restart(f"{entry.path}: line {number}: a {kind} record after events")
                if offset - last > 1 << 18:
                    task.advance(offset - last)
                    last = offset
        task.advance(reader.size - last)

    def _check_late(self, raw, entry):
        """A source named after the file's first event is added in its turn, which numbers it as reading
        every file first would, unless it carries a recorded_at or a later file named sources of its own."""
        if _recorded_first(raw)[0] == 0 or self.late_sources_ok_after > entry.number:
            raise Restart(f"{entry.path}: a source after events")

    # ---- two processes: one reads and prepares, the other commits and inserts ----

    def _pipelined(self, entry):
        """The items of a large export, read, checked and prepared by a forked process while this one
        commits and inserts them: the export's chain and the events' validation need nothing from
        the database, and the registry, vocabulary and sources are in memory (loaded before the fork)."""
        import multiprocessing

        self.writer.sources.load_all()
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        self.ahead = context.RawValue("i", 0)  # messages sent and not yet taken up: how far ahead it runs
        child = context.Process(target=self._child, args=(entry, send, receive), daemon=True)
        child.start()
        send.close()
        # a thread takes the messages off the pipe as they come (the pipe holds one or two), so the
        # reading process can run a few batches ahead while this one inserts
        messages = queue.Queue(maxsize=PIPELINE_AHEAD)

        def take():
            try:
                while True:
                    data = receive.recv_bytes()
                    messages.put(data)
            except (EOFError, OSError):
                messages.put(None)

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        try:
            while True:
                data = messages.get()
                self.ahead.value -= 1
                if data is None:
                    raise RuntimeError("the process reading the export ended without a word")
                for item in pickle.loads(data):
                    tag = item[0]
                    if tag == "progress":
                        self.task.advance(item[1])
                    elif tag == "restart":
                        raise Restart(item[1])
                    elif tag == "failed":
                        raise RuntimeError(f"the process reading the export failed:\n{item[1]}")
                    elif tag == "end":
                        entry.events = item[1]
                        return
                    else:
                        yield item
        finally:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()
            while taker.is_alive():  # unblock it if it waits to put
                try:
                    messages.get_nowait()
                except queue.Empty:
                    taker.join(0.01)

    def _child(self, entry, send, receive):
        """In the forked process: prepare the export's items and send them, a few hundred a message."""
        from .projections import lone_rows

        receive.close()
        writer, out = self.writer, []
        task = _Counted(out)
        seq = writer.head_seq  # the seq each event gets if every one before it is added (the parent checks)

        def flush():
            send.send_bytes(pickle.dumps(out, pickle.HIGHEST_PROTOCOL))
            self.ahead.value += 1
            out.clear()

        try:
            for item in self._jsonl_items(entry, task):
                if item[0] == "source":
                    out.append(("source", item[1], entry.path))
                    if not _known_source(writer, item[1]):
                        flush()
                        break  # the parent refuses it when it gets there: nothing after it matters
                else:
                    raw, index = item[1], item[2]
                    prepared = writer.prepared(raw, entry.path, index, None)
                    if isinstance(prepared, Exception):
                        out.append(("event", prepared, entry.path, index, _label(raw)))
                        break
                    seq += 1
                    if self.ahead.value > PIPELINE_AHEAD // 2:
                        # this process is ahead, the parent is the slower: take work off it, the event's
                        # projections as they will be if it gets this seq
                        prepared = (*prepared, (seq, lone_rows({**prepared[0], "seq": seq}, writer.vocab)))
                    out.append(("event", prepared, entry.path, index, _label(raw)))
                if len(out) >= PIPELINE_MESSAGE:
                    flush()
            # (after a break too: the parent raises the error in its turn, once it has what came before)
            out.append(("end", entry.events))
        except Restart as restart:
            out.append(("restart", str(restart)))
        except TimelineError as error:  # the file itself (not JSON, chain broken): an error in its turn
            out.append(("error", error))
        except BaseException:
            import traceback
            out.append(("failed", traceback.format_exc()))
        try:
            flush()
            send.close()
        finally:
            os._exit(0)  # nothing of the parent's (its database connection) is closed or flushed here


# the text of a line that is an event record (inside a JSON string a quote is escaped, so this is a key and
# its value), for _restart_ahead to skip without parsing
_EVENT_RECORD = re.compile(rb'"record"\s*:\s*"event"')

PIPELINE_BYTES = 4 << 20  # an export larger than this (from its first event) is read by a second process
PIPELINE_MESSAGE = 256  # items a message from it carries
PIPELINE_AHEAD = 64  # messages it may be ahead by


def _forking():
    """Whether a second process can read while this one writes: fork is there and so is a second CPU."""
    import multiprocessing
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return cpus > 1 and "fork" in multiprocessing.get_all_start_methods()


class _Counted:
    """A progress task for the forked process: what it advances goes to the parent with the items."""

    def __init__(self, out):
        self.out = out

    def advance(self, n=1):
        self.out.append(("progress", n))


def _known_source(writer, raw):
    """Note a source named after events in the forked process's copy of the source cache (the parent adds
    it to the log); False when it is not a valid source (the parent will say why)."""
    from .validation import make_source
    try:
        row = make_source(raw)
    except TimelineError:
        return False
    if row["key"] not in writer.sources.rows:
        writer.sources.rows[row["key"]] = row
    return True


def _label(raw):
    return raw.get("id") if isinstance(raw, dict) else None


_PLURAL = {"entity": "entities", "metric": "metrics", "source": "sources"}
_COUNTED = ("entities", "aliases", "metrics", "sources", "events")


def _reorder(report):
    """Counts in the order reading every file first gives (a source taken after events counts late)."""
    for outcome in ("added", "unchanged"):
        counts = getattr(report, outcome)
        ordered = sorted(counts, key=lambda what: _COUNTED.index(what) if what in _COUNTED else len(_COUNTED))
        setattr(report, outcome, {what: counts[what] for what in ordered})



# A log rebuilt from its written-back bundles must number and chain its rows as the
# log that wrote them did: rows that carry where they stood come first, in that
# order (sorting is stable, so the rest keep the order of the files).

def _recorded_first(raw):
    recorded_at = raw.get("recorded_at") if isinstance(raw, dict) else None
    return (0, str(recorded_at)) if recorded_at else (1, "")


def _seq_first(raw):
    seq = raw.get("seq") if isinstance(raw, dict) else None
    return (0, seq) if isinstance(seq, int) and not isinstance(seq, bool) else (1, 0)


class Spool:
    """Events waiting for their turn, handed back in (key, arrival) order.

    In memory while there are few; past SPOOL_IN_MEMORY they move to a
    temporary SQLite file (pickled), which sorts them on disk.  Keys are
    pairs of integers: (0, seq) for events written back with their seq,
    (1, file number) for the rest.
    """

    def __init__(self):
        self.memory = []
        self.count = 0
        self.db = None
        self.path = None
        self.buffer = []

    def add(self, key, item):
        self.count += 1
        if self.db is None:
            self.memory.append((key, self.count, item))
            if len(self.memory) > SPOOL_IN_MEMORY:
                self._open()
                for key, count, item in self.memory:
                    self._write(key, count, item)
                self.memory = []
        else:
            self._write(key, self.count, item)

    def _open(self):
        fd, self.path = tempfile.mkstemp(prefix="timeline-import-", suffix=".spool")
        os.close(fd)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE spool (k0 INTEGER, k1 INTEGER, n INTEGER, item BLOB)")
        self.db.execute("BEGIN")

    def _write(self, key, count, item):
        self.buffer.append((key[0], key[1], count, pickle.dumps(item, pickle.HIGHEST_PROTOCOL)))
        if len(self.buffer) >= SPOOL_WRITE:
            self._flush()

    def _flush(self):
        if self.buffer:
            self.db.executemany("INSERT INTO spool VALUES (?, ?, ?, ?)", self.buffer)
            self.buffer = []

    def ordered(self):
        """((k0, k1), item) in key order."""
        if self.db is None:
            self.memory.sort(key=lambda entry: (entry[0], entry[1]))
            memory, self.memory = self.memory, []
            for key, _, item in memory:
                yield key, item
            return
        self._flush()
        self.db.execute("COMMIT")
        for k0, k1, data in self.db.execute("SELECT k0, k1, item FROM spool ORDER BY k0, k1, n"):
            yield (k0, k1), pickle.loads(data)

    def close(self):
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.path:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            self.path = None

    def __del__(self):
        self.close()
