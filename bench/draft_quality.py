"""How well `timeline draft` proposes what curators record: recall and precision.

For each seed document in /work/shared/seeds that a curated bundle in events/
cites (matched by the document's sha256), draft it the way a curator would run
the command (the publication date from the dateline, or the curated source's
date when the document has none) and compare with the curated events:

- a curated event is *recalled* when some proposal states its fact: same entity,
  overlapping date span and an equal quantity, or a quote overlapping the
  curated quote (the two quotes share at least half of the shorter one in the
  document);
- a proposal is *precise* when it matches some curated event that way.

    python -m bench.draft_quality        # prints a table per document and overall
    bench.draft_quality.run()            # [{name, value, unit}, ...] for `make bench`

The drafting rules must not be tuned to these documents (see timeline/draft/rules.py).
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
EVENTS = ROOT / "events"
MIN_QUOTE_OVERLAP = 0.5  # of the shorter quote


@dataclass
class Score:
    document: str
    curated: int
    proposed: int
    recalled: int
    precise: int
    by_value: int = 0     # recalled by an equal quantity (not only by quote overlap)
    same_kind: int = 0    # recalled by a proposal of the same kind

    @property
    def recall(self):
        return self.recalled / self.curated if self.curated else 0.0

    @property
    def precision(self):
        return self.precise / self.proposed if self.proposed else 0.0


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


def draft_for(seed, curated, index):
    """The draft a curator gets: the dateline's date, or the curated source's date when asked for one."""
    from timeline.draft import draft_file
    from timeline.errors import TimelineError
    key = curated["source"]["key"]
    try:
        return draft_file(seed, source_key=key, index=index)
    except TimelineError as error:
        if "--published-on" not in str(error):
            raise
        return draft_file(seed, source_key=key, index=index, published_on=str(curated["source"]["published_on"]))


def spans(text, quote):
    """(start, end) of every place `quote` occurs in `text`."""
    found, start = [], text.find(quote)
    while start != -1 and quote:
        found.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    return found


def quotes_overlap(text, a, b):
    shorter = min(len(a), len(b))
    for s1, e1 in spans(text, a):
        for s2, e2 in spans(text, b):
            if min(e1, e2) - max(s1, s2) >= MIN_QUOTE_OVERLAP * shorter:
                return True
    return False


def event_span(event, published_on):
    """(valid_from, valid_to) of a bundle event as the importer reads it."""
    from timeline import dates
    if event.get("valid_from"):
        return str(event["valid_from"]), str(event["valid_to"])
    span = dates.parse(str(event["date"]), base=published_on)
    return span.valid_from.isoformat(), span.valid_to.isoformat()


def quantities(event):
    return [(v["amount"], v["unit"]) for v in (event.get("attributes") or {}).values()
            if isinstance(v, dict) and "amount" in v]


def same_fact(proposal, curated, text, published_on):
    """('value' | 'quote' | None): how a proposal states a curated event's fact."""
    if proposal["entity"] == curated["entity"]:
        common = set(quantities(proposal)) & set(quantities(curated))
        if common:
            (a_from, a_to), (b_from, b_to) = event_span(proposal, published_on), event_span(curated, published_on)
            if a_from <= b_to and b_from <= a_to:
                return "value"
    if quotes_overlap(text, proposal["quote"], curated["quote"]):
        return "quote"
    return None


def score(seed, curated, draft):
    text = seed.read_text(encoding="utf-8")
    published_on = str(curated["source"]["published_on"])
    proposals, events = draft["events"], curated.get("events") or []
    matches = [[same_fact(p, c, text, published_on) for c in events] for p in proposals]
    recalled = sum(1 for j in range(len(events)) if any(row[j] for row in matches))
    precise = sum(1 for row in matches if any(row))
    by_value = sum(1 for j in range(len(events)) if any(row[j] == "value" for row in matches))
    same_kind = sum(1 for j, event in enumerate(events)
                    if any(row[j] and proposals[i]["kind"] == event["kind"] for i, row in enumerate(matches)))
    return Score(seed.name, len(events), len(proposals), recalled, precise, by_value, same_kind)


def scores():
    from timeline.draft import load_index
    index, _ = load_index(None, EVENTS / "entities.yml")
    return [score(seed, curated, draft_for(seed, curated, index)) for seed, _, curated in documents()]


def overall(results):
    return Score("overall", sum(s.curated for s in results), sum(s.proposed for s in results),
                 sum(s.recalled for s in results), sum(s.precise for s in results), sum(s.by_value for s in results),
                 sum(s.same_kind for s in results))


def run():
    """The measurements for `make bench`: recall and precision per document and overall."""
    results = scores()
    rows = []
    for result in results + [overall(results)]:
        name = Path(result.document).stem.split("_")[0]
        rows.append({"name": f"draft recall ({name})", "value": round(result.recall, 3), "unit": "ratio"})
        rows.append({"name": f"draft precision ({name})", "value": round(result.precision, 3), "unit": "ratio"})
    total = overall(results)
    rows.append({"name": "draft recall, same kind (overall)",
                 "value": round(total.same_kind / total.curated, 3) if total.curated else 0.0, "unit": "ratio"})
    return rows


def main(out=sys.stdout):
    results = scores()
    print(f"{'document':<28} {'curated':>7} {'proposed':>8} {'recalled':>8} {'by value':>8} {'same kind':>9} "
          f"{'precise':>7} {'recall':>7} {'precision':>9}", file=out)
    for result in results + [overall(results)]:
        print(f"{result.document:<28} {result.curated:>7} {result.proposed:>8} {result.recalled:>8} {result.by_value:>8} "
              f"{result.same_kind:>9} {result.precise:>7} {result.recall:>7.0%} {result.precision:>9.0%}", file=out)
    print("recalled: by an equal quantity (same entity, overlapping dates) or an overlapping quote; "
          "'by value' and 'same kind' count the stricter matches among them", file=out)


if __name__ == "__main__":
    main()
