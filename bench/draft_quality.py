"""How well `timeline draft` proposes what curators record.

Two sets of documents, each a text whose sha256 a curated bundle in events/ cites:

- the seeds (/work/shared/seeds), which the rules were written on;
- batch A (documents/*.txt, git-ignored, with their bundles events/<same name>.yml),
  eight supplier documents first drafted unseen.  Their first-sight drafts are frozen
  in documents/first-sight/ and their scores kept in bench/draft_unseen.json
  (append-only); drafting them again with today's rules gives *tuned* scores, which
  are NOT first-sight figures: the rules have since been worked on with these texts.

Each document is drafted the way its curator ran the command (the publication date
from the dateline, or the curated source's date when the document has none; batch A
with the curated date, as its first-sight drafts were made) and compared with the
curated events.  Scorer v2 (this one) matches one to one, best match first:

- a *value match*: same entity, an equal quantity (amount and unit), and overlapping
  periods of the same precision class (a day, a month, a quarter, a half, nine months,
  a year… judged by the span's length: a quarter's figure does not match a year's);
- a *quote match*: the two quotes overlap in the document (they share at least half
  of the shorter one) AND the proposal has the curated event's kind or one of its
  quantities.  One long quote no longer "recalls" every event it covers;
- each proposal matches at most one curated event and each curated event at most one
  proposal: value matches first, then same kind, then the largest quote overlap.

Reported per document and in total: recall (curated events matched), precision
(proposals matched), same kind (share of curated events matched by a proposal of
their kind), by value (share matched by a value match), and recall per kind.

Scorer v1 (before 2026-12, `score_v1`) counted a curated event as recalled when any
proposal shared a quantity and an overlapping date, or overlapped its quote, without
one-to-one matching; it is kept so that old and new figures can be compared.

    python -m bench.draft_quality                 # the table: seeds, batch A tuned and first-sight
    python -m bench.draft_quality --append-tuned  # append today's batch-A scores (kind: tuned)
    bench.draft_quality.run()                     # [{name, value, unit}, ...] for `make bench`

The drafting rules must not be tuned to held-out documents (see timeline/draft/rules.py).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
EVENTS = ROOT / "events"
DOCUMENTS = ROOT / "documents"
FIRST_SIGHT = DOCUMENTS / "first-sight"
UNSEEN = Path(__file__).resolve().parent / "draft_unseen.json"
MIN_QUOTE_OVERLAP = 0.5  # of the shorter quote
SCORER = "v2"


@dataclass
class Score:
    document: str
    curated: int
    proposed: int
    recalled: int
    precise: int
    by_value: int = 0     # matched by an equal quantity (v2: a value match)
    same_kind: int = 0    # matched by a proposal of the same kind
    kinds: dict = field(default_factory=dict)   # {kind: [curated, matched]}

    @property
    def recall(self):
        return self.recalled / self.curated if self.curated else 0.0

    @property
    def precision(self):
        return self.precise / self.proposed if self.proposed else 0.0

    @property
    def same_kind_share(self):
        return self.same_kind / self.curated if self.curated else 0.0

    @property
    def by_value_share(self):
        return self.by_value / self.curated if self.curated else 0.0

    def record(self):
        return {"curated": self.curated, "proposed": self.proposed, "recalled": self.recalled,
                "precise": self.precise, "by_value": self.by_value, "same_kind": self.same_kind,
                "recall": round(self.recall, 3), "precision": round(self.precision, 3),
                "same_kind_share": round(self.same_kind_share, 3), "by_value_share": round(self.by_value_share, 3),
                "recall_by_kind": {k: round(m / c, 3) for k, (c, m) in sorted(self.kinds.items())}}


# ---- the documents ----

def curated_bundles(events_dir=EVENTS):
    """{sha256 of the cited document: (bundle path, bundle mapping)} for bundles that record one."""
    import yaml
    found = {}
    for path in sorted(Path(events_dir).glob("*.yml")):
        if path.name == "entities.yml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        sha = (data.get("source") or {}).get("sha256")
        if sha:
            found[sha] = (path, data)
    return found


def documents(seeds_dir=SEEDS, events_dir=EVENTS):
    """(seed path, curated bundle path, curated bundle) for each seed a bundle cites."""
    bundles = curated_bundles(events_dir)
    for seed in sorted(Path(seeds_dir).glob("*.txt")):
        sha = hashlib.sha256(seed.read_bytes()).hexdigest()
        if sha in bundles:
            yield (seed, *bundles[sha])


def unseen_documents(documents_dir=DOCUMENTS, events_dir=EVENTS):
    """(document, curated bundle path, curated bundle) for batch A: documents/KEY.txt with events/KEY.yml."""
    bundles = curated_bundles(events_dir)
    for document in sorted(Path(documents_dir).glob("*.txt")):
        sha = hashlib.sha256(document.read_bytes()).hexdigest()
        if sha in bundles:
            yield (document, *bundles[sha])


def draft_for(seed, curated, index, published=False):
    """The draft a curator gets: the dateline's date, or the curated source's date when asked for one
    (`published`: always the curated date, as batch A's first-sight drafts were made)."""
    from timeline.draft import draft_file
    from timeline.errors import TimelineError
    key = curated["source"]["key"]
    if published:
        return draft_file(seed, source_key=key, index=index, published_on=str(curated["source"]["published_on"]))
    try:
        return draft_file(seed, source_key=key, index=index)
    except TimelineError as error:
        if "--published-on" not in str(error):
            raise
        return draft_file(seed, source_key=key, index=index, published_on=str(curated["source"]["published_on"]))


# ---- comparing two events ----

def spans(text, quote):
    """(start, end) of every place `quote` occurs in `text`."""
    found, start = [], text.find(quote)
    while start != -1 and quote:
        found.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    return found


def quote_overlap(text, a, b):
    """The characters two quotes share in the document (0 unless it is at least half the shorter)."""
    shorter = min(len(a), len(b))
    best = 0
    for s1, e1 in spans(text, a):
        for s2, e2 in spans(text, b):
            shared = min(e1, e2) - max(s1, s2)
            if shared >= MIN_QUOTE_OVERLAP * shorter:
                best = max(best, shared)
    return best


def quotes_overlap(text, a, b):
    return quote_overlap(text, a, b) > 0


def event_span(event, published_on):
    """(valid_from, valid_to) of a bundle event as the importer reads it."""
    from timeline import dates
    if event.get("valid_from"):
        return str(event["valid_from"]), str(event["valid_to"])
    base = dates.parse(str(published_on)).valid_to  # a fuzzy publication date counts from its end, as on import
    span = dates.parse(str(event["date"]), base=base)
    return span.valid_from.isoformat(), span.valid_to.isoformat()


def precision_class(span):
    """What a span's length says it is: a day, a month, a quarter, a half, nine months, a year, or n months."""
    days = (dt.date.fromisoformat(span[1]) - dt.date.fromisoformat(span[0])).days + 1
    for name, low, high in (("day", 1, 1), ("month", 28, 31), ("quarter", 89, 92), ("half", 181, 184),
                            ("nine months", 272, 275), ("year", 365, 366)):
        if low <= days <= high:
            return name
    return f"{round(days / 30.4)} months"


def quantities(event):
    return [(v["amount"], v["unit"]) for v in (event.get("attributes") or {}).values()
            if isinstance(v, dict) and "amount" in v]


def _equal(a, b):
    return a[1] == b[1] and abs(float(a[0]) - float(b[0])) <= 1e-9 * max(1.0, abs(float(a[0])))


def shared_quantity(proposal, curated):
    return any(_equal(a, b) for a in quantities(proposal) for b in quantities(curated))


def same_fact(proposal, curated, text, published_on):
    """('value' | 'quote' | None): how a proposal states a curated event's fact (scorer v2)."""
    if proposal["entity"] == curated["entity"] and shared_quantity(proposal, curated):
        a, b = event_span(proposal, published_on), event_span(curated, published_on)
        if a[0] <= b[1] and b[0] <= a[1] and precision_class(a) == precision_class(b):
            return "value"
    if (proposal["kind"] == curated["kind"] or shared_quantity(proposal, curated)) and \
            quotes_overlap(text, proposal["quote"], curated["quote"]):
        return "quote"
    return None


def match(proposals, events, text, published_on):
    """[(proposal index, curated index, 'value' | 'quote')]: one to one, best match first."""
    candidates = []
    for i, proposal in enumerate(proposals):
        for j, event in enumerate(events):
            how = same_fact(proposal, event, text, published_on)
            if how:
                overlap = quote_overlap(text, proposal["quote"], event["quote"])
                candidates.append(((how == "value", proposal["kind"] == event["kind"], overlap, -i, -j), i, j, how))
    candidates.sort(key=lambda c: c[0], reverse=True)
    used_p, used_c, pairs = set(), set(), []
    for _, i, j, how in candidates:
        if i in used_p or j in used_c:
            continue
        used_p.add(i)
        used_c.add(j)
        pairs.append((i, j, how))
    return pairs


def score(seed, curated, draft):
    """Scorer v2 of one draft against its curated bundle."""
    text = Path(seed).read_text(encoding="utf-8")
    published_on = str(curated["source"]["published_on"])
    proposals, events = draft["events"], curated.get("events") or []
    pairs = match(proposals, events, text, published_on)
    kinds = {}
    for event in events:
        kinds.setdefault(event["kind"], [0, 0])[0] += 1
    for _, j, _ in pairs:
        kinds[events[j]["kind"]][1] += 1
    return Score(Path(seed).name, len(events), len(proposals), len(pairs), len(pairs),
                 sum(1 for _, _, how in pairs if how == "value"),
                 sum(1 for i, j, _ in pairs if proposals[i]["kind"] == events[j]["kind"]), kinds)


def _same_fact_v1(proposal, curated, text, published_on):
    if proposal["entity"] == curated["entity"]:
        common = set(quantities(proposal)) & set(quantities(curated))
        if common:
            (a_from, a_to), (b_from, b_to) = event_span(proposal, published_on), event_span(curated, published_on)
            if a_from <= b_to and b_from <= a_to:
                return "value"
    if quotes_overlap(text, proposal["quote"], curated["quote"]):
        return "quote"
    return None


def score_v1(seed, curated, draft):
    """Scorer v1, as it was: any overlap recalls, no one-to-one matching."""
    text = Path(seed).read_text(encoding="utf-8")
    published_on = str(curated["source"]["published_on"])
    proposals, events = draft["events"], curated.get("events") or []
    matches = [[_same_fact_v1(p, c, text, published_on) for c in events] for p in proposals]
    recalled = sum(1 for j in range(len(events)) if any(row[j] for row in matches))
    precise = sum(1 for row in matches if any(row))
    by_value = sum(1 for j in range(len(events)) if any(row[j] == "value" for row in matches))
    same_kind = sum(1 for j, event in enumerate(events)
                    if any(row[j] and proposals[i]["kind"] == event["kind"] for i, row in enumerate(matches)))
    return Score(Path(seed).name, len(events), len(proposals), recalled, precise, by_value, same_kind)


# ---- the sets ----

def _index():
    from timeline.draft import load_index
    index, _ = load_index(None, EVENTS / "entities.yml")
    return index


def scores(scorer=score):
    """The seeds, drafted with today's rules."""
    index = _index()
    return [scorer(seed, curated, draft_for(seed, curated, index)) for seed, _, curated in documents()]


def batches():
    """{document key: 'A' or 'B'}: batch A was drafted first sight by the first round's rules and then
    tuned on; batch B was held out and drafted first sight by the tuned rules (records say "batch": "B")."""
    records = json.loads(UNSEEN.read_text(encoding="utf-8"))
    return {r["document"]: r.get("batch", "A") for r in records}


def unseen_scores(scorer=score):
    """Batch A drafted with today's rules (tuned: not first-sight figures)."""
    index, batch = _index(), batches()
    return [scorer(doc, curated, draft_for(doc, curated, index, published=True))
            for doc, _, curated in unseen_documents() if batch.get(doc.stem) == "A"]


def first_sight_scores(scorer=score, batch="A"):
    """A batch's frozen first-sight drafts (documents/first-sight/KEY.yml), scored again."""
    import yaml
    found, batch_of = [], batches()
    for doc, _, curated in unseen_documents():
        frozen = FIRST_SIGHT / f"{doc.stem}.yml"
        if frozen.is_file() and batch_of.get(doc.stem) == batch:
            found.append(scorer(doc, curated, yaml.safe_load(frozen.read_text(encoding="utf-8"))))
    return found


def draft_held_out(batch="B", out=sys.stdout):
    """Draft, once, every document of documents/ with a curated bundle and no record yet: the first-sight
    figure of today's rules.  Each draft is frozen in documents/first-sight/ and scored (v2 and v1); the
    records are appended to bench/draft_unseen.json.  Never run again on a document that has a record."""
    import yaml
    from timeline.draft import to_yaml
    index, known = _index(), batches()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    records = json.loads(UNSEEN.read_text(encoding="utf-8"))
    FIRST_SIGHT.mkdir(parents=True, exist_ok=True)
    drafted = []
    for doc, _, curated in unseen_documents():
        if doc.stem in known:
            continue
        frozen = FIRST_SIGHT / f"{doc.stem}.yml"
        if not frozen.exists():  # a frozen draft without a record (scoring failed): score it, never draft again
            draft = draft_for(doc, curated, index, published=True)
            frozen.write_text(to_yaml(draft, document=doc.name), encoding="utf-8")
        draft = yaml.safe_load(frozen.read_text(encoding="utf-8"))
        for scorer, name in ((score, "v2"), (score_v1, "v1")):
            result = scorer(doc, curated, draft)
            records.append({"document": doc.stem, "sha256": curated["source"].get("sha256"), "batch": batch,
                            "scorer": name, "kind": "first-sight", "drafted_with": commit,
                            "note": "held out while the rules were tuned; drafted once, after the tuning",
                            "scored_on": dt.date.today().isoformat(), **result.record()})
            if name == "v2":
                drafted.append(result)
    UNSEEN.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"drafted {len(drafted)} held-out documents first sight (batch {batch}) at {commit[:12]}", file=out)
    return drafted


def overall(results):
    kinds = {}
    for result in results:
        for kind, (curated, matched) in result.kinds.items():
            total = kinds.setdefault(kind, [0, 0])
            total[0] += curated
            total[1] += matched
    return Score("overall", sum(s.curated for s in results), sum(s.proposed for s in results),
                 sum(s.recalled for s in results), sum(s.precise for s in results), sum(s.by_value for s in results),
                 sum(s.same_kind for s in results), kinds)


# ---- speed ----

def speed(sizes=(1_000_000, 5_000_000)):
    """[(label, characters, seconds)]: drafting generated documents of one long line and of many lines."""
    from timeline.draft import draft_bundle
    index = _index()
    results = []
    sentence = ("Aptiv said revenue was $12.5 million in the second quarter of 2025, up 8% year over year, "
                "and it shipped 1,200 units to Magna. ")
    for size in sizes:
        for label, body in (("one line", (sentence * (size // len(sentence) + 1))[:size]),
                            ("many lines", ((sentence + "\n") * (size // (len(sentence) + 1) + 1))[:size])):
            text = "LONDON – December 29, 2025 – " + body
            started = time.perf_counter()
            draft_bundle(text, source_key="speed", index=index)
            results.append((f"{label}, {size / 1e6:g} MB", len(text), time.perf_counter() - started))
    return results


# ---- reports ----

def run():
    """The measurements for `make bench`: each score on batch A (tuned) beside the seeds' (its reference),
    or the seeds' alone where documents/ is absent; then the speed on a generated 1 MB document."""
    rows = []
    seeds = overall(scores())
    unseen = unseen_scores()
    unseen = overall(unseen) if unseen else None
    for label, measure in (("recall", "recall"), ("precision", "precision"), ("same kind", "same_kind_share"),
                           ("by value", "by_value_share")):
        seed_value = round(getattr(seeds, measure), 3)
        if unseen is None:
            rows.append({"name": f"draft {label} (seeds)", "value": seed_value, "unit": "ratio"})
        else:
            rows.append({"name": f"draft {label}: batch A tuned vs seeds", "value": round(getattr(unseen, measure), 3),
                         "unit": "ratio", "reference": seed_value})
    for label, characters, seconds in speed((1_000_000,)):
        rows.append({"name": f"draft speed ({label})", "value": round(seconds / characters * 1e6, 2), "unit": "µs/char"})
    return rows


def table(results, out, title):
    print(f"\n{title}", file=out)
    print(f"{'document':<52} {'curated':>7} {'proposed':>8} {'matched':>7} {'recall':>6} {'precision':>9} "
          f"{'same kind':>9} {'by value':>8}", file=out)
    for result in results + [overall(results)]:
        print(f"{result.document[:52]:<52} {result.curated:>7} {result.proposed:>8} {result.recalled:>7} "
              f"{result.recall:>6.0%} {result.precision:>9.0%} {result.same_kind_share:>9.0%} "
              f"{result.by_value_share:>8.0%}", file=out)
    total = overall(results)
    print("recall per kind: " + ", ".join(f"{kind} {matched}/{curated}"
                                          for kind, (curated, matched) in sorted(total.kinds.items())), file=out)


def append_records(kind, results, out=sys.stdout):
    """Append one record per batch-A document to bench/draft_unseen.json (never edits old ones)."""
    records = json.loads(UNSEEN.read_text(encoding="utf-8"))
    originals = {r["document"]: r for r in records if "scorer" not in r}
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    for result in results:
        name = Path(result.document).stem
        original = originals.get(name, {})
        record = {"document": name, "sha256": original.get("sha256"), "company": original.get("company"),
                  "scorer": SCORER, "kind": kind}
        if kind == "first-sight":
            record["drafted_with"] = original.get("drafted_with")
            record["note"] = "the frozen first-sight draft (documents/first-sight/) scored again with scorer v2"
        else:
            record["drafted_with"] = commit
            record["note"] = ("drafted with rules worked on using batch A itself: a tuned score, "
                              "NOT a first-sight figure")
        record["scored_on"] = dt.date.today().isoformat()
        record.update(result.record())
        records.append(record)
    UNSEEN.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"appended {len(results)} {kind} records to {UNSEEN.relative_to(ROOT)}", file=out)


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(prog="python -m bench.draft_quality", description=__doc__.splitlines()[0])
    parser.add_argument("--v1", action="store_true", help="also show scorer v1's figures")
    parser.add_argument("--append-first-sight", action="store_true",
                        help="append the frozen first-sight drafts' v2 scores to bench/draft_unseen.json")
    parser.add_argument("--append-tuned", action="store_true",
                        help="append today's batch-A scores (kind: tuned) to bench/draft_unseen.json")
    parser.add_argument("--speed", action="store_true", help="time drafting 1 MB and 5 MB generated documents")
    parser.add_argument("--draft-held-out", action="store_true",
                        help="draft, once, the documents with a bundle and no record yet, and append their first-sight scores")
    args = parser.parse_args(argv)
    if args.draft_held_out:
        draft_held_out(out=out)
    sets = [("seeds (today's rules)", scores), ("batch A, tuned (today's rules; not first-sight figures)", unseen_scores),
            ("batch A, first sight (frozen drafts of the first round's rules)", first_sight_scores),
            ("batch B, first sight (frozen drafts of the tuned rules: the figure that counts)",
             lambda scorer=score: first_sight_scores(scorer, "B"))]
    computed = {}
    for title, function in sets:
        results = function()
        computed[title] = results
        if results:
            table(results, out, f"{title} — scorer v2")
        if args.v1:
            old = function(score_v1)
            if old:
                table(old, out, f"{title} — scorer v1")
    print("\nv2 matches one to one: same entity, equal quantity and overlapping period of the same precision class "
          "(value), or overlapping quotes with the same kind or quantity (quote)", file=out)
    if args.append_first_sight:
        append_records("first-sight", computed["batch A, first sight (frozen drafts)"], out)
    if args.append_tuned:
        append_records("tuned", computed["batch A, tuned (today's rules; not first-sight figures)"], out)
    if args.speed:
        for label, characters, seconds in speed():
            print(f"speed: {label}: {seconds:.1f} s ({seconds / characters * 1e6:.2f} µs/char)", file=out)


if __name__ == "__main__":
    main()
