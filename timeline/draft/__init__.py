"""Drafting a bundle from a document: `timeline draft DOCUMENT.txt --source-key KEY`.

The drafter reads a press release, news story, earnings-call transcript or
interleaved machine translation sentence by sentence and proposes one event for
each dated corporate fact a sentence, list item or table cell states (a sentence
may state several: each metric with its value, a figure it compares with, each
party of a list).  The result is a bundle in the normal import format, marked as
a draft: `status: draft` on the source and a `review:` note on each event, which
opens with the drafter's confidence ("Confidence low, 0.42 (a figure no rule
recognises; the date is inferred).") and says what the curator must check; low-
confidence proposals come last.  `timeline import` refuses the bundle until those
marks are removed (validation.make_source and validation.make_event), so nothing
machine-read enters the log unreviewed.  Facts the vocabulary cannot hold yet
(a metric it lacks, a range, a change without a level, an outcome without a
figure) are proposed as `note` events whose review note names what they want.

    segment.py   document layouts -> sentences, list items, table rows and cells, with their offsets
    when.py      dates in context (relative, inferred, fiscal), the reporting period
    amounts.py   money, percentages and counts (also in words), ranges, normalised
    mentions.py  entity mentions through the registry's names and aliases
    rules.py     the wording of each kind and metric (data: METRICS is THE metric wording table)
    classify.py  a sentence -> its readings: kind, metric, value, one per fact
    kinds.py     per kind: entity, counterparty, attributes
    propose.py   readings -> events: date, quote, summary, confidence, review note; coreference
    writer.py    YAML output

Robustness: a document over MAX_BYTES is refused (at most MAX_BYTES + 1 bytes are
read), and every rule works on pieces of at most segment.MAX_SENTENCE characters,
so drafting is linear in the document's length.

`draft_bundle` is the library call; the CLI only reads the file and writes the YAML.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from .. import dates
from ..errors import TimelineError
from . import propose as proposing
from . import segment as segmenting
from . import when
from .mentions import EntityIndex, known_sources, load_index
from .writer import to_yaml

__all__ = ["draft_bundle", "draft_file", "load_index", "EntityIndex", "to_yaml", "strip_draft_marks",
           "MAX_BYTES", "known_sources"]

LANGUAGES = ("en", "zh")
# a press release is tens of kilobytes, a long call transcript a few hundred: anything over this
# is not a document to draft from (and /dev/zero must not be read until memory runs out)
MAX_BYTES = 5 * 1024 * 1024


def draft_file(path, max_bytes=MAX_BYTES, **options):
    """`draft_bundle` for a document file; the source's sha256 is the file's.  At most
    `max_bytes` + 1 bytes are read: a longer file is refused, whatever it is."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise TimelineError(error.strerror or str(error), str(path)) from None
    if len(data) > max_bytes:
        raise TimelineError(f"the document is over {max_bytes / 1024 / 1024:g} MB "
                            f"({max_bytes:,} bytes), too large to draft from", str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TimelineError("not UTF-8 text", str(path)) from None
    return draft_bundle(text, sha256=hashlib.sha256(data).hexdigest(), **options)


def draft_bundle(text, *, source_key, index=None, title=None, publisher=None, url=None, published_on=None,
                 entity=None, language="en", sha256=None):
    """The draft bundle {source, events} for a document's text.

    `index` is the entity registry (mentions.load_index); `entity` the key, name or alias
    of the company "we" and "the company" refer to (default: the company the document
    names most); `published_on` the publication date (default: the dateline's).
    """
    if language not in LANGUAGES:
        raise TimelineError(f"unknown language '{language}' (expected one of {', '.join(LANGUAGES)})")
    if len(text) > MAX_BYTES:
        raise TimelineError(f"the document is over {MAX_BYTES / 1024 / 1024:g} MB, too large to draft from")
    index = index if index is not None else EntityIndex([])
    layout = segmenting.read_layout(text, language)
    published, published_text, how_dated = _publication_date(published_on, layout)
    default_entity = _default_entity(entity, index, text)
    fiscal_year_end = index.fiscal_year_end(default_entity) if default_entity else "12-31"
    reporting = when.reporting_period(text, layout.front_matter or (layout.title or ""), published, fiscal_year_end)
    if reporting is None:
        reporting = when.call_period(text, published, layout.kind == "transcript")
    context = proposing.Context(index, default_entity, published, fiscal_year_end, reporting, language,
                                coreference=layout.kind == "article" and not entity)
    events = [e for s in layout.segments for e in proposing.propose(s, context)]
    events = _merge_repeats(events)
    # low-confidence proposals are still proposed, after the others
    events.sort(key=lambda e: e["_confidence"] < proposing.LOW)
    _assign_ids(events)
    source = _source(source_key, title, publisher, url, published_text, how_dated, layout, language, sha256,
                     reporting, default_entity, entity, index)
    return {"source": source, "events": [_public(e) for e in events]}


def _publication_date(published_on, layout):
    """(base date for relative dates, the text for `published_on`, how it was found)."""
    if published_on:
        try:
            span = dates.parse(str(published_on))
        except dates.DateError as error:
            raise TimelineError(f"--published-on: {error}") from None
        return span.valid_to, str(published_on), "given with --published-on"
    if layout.dateline is not None:
        try:
            span = dates.parse(layout.dateline.date_text)
        except dates.DateError:
            span = None
        if span is not None and span.precision == "day":
            return span.valid_from, span.valid_from.isoformat(), (
                f"taken from the dateline \"{layout.dateline.place} – {layout.dateline.date_text}\"")
    raise TimelineError("no publication date in the document (no dateline such as "
                        "'LONDON – December 29, 2025 –'); pass --published-on")


def _default_entity(entity, index, text):
    """The key of the company "we" means: --entity, else the company the body names most."""
    if entity:
        if not index:
            return entity  # no registry to check against: the curator's key stands
        return index.resolve(entity)
    counts = Counter()
    # the whole text, headline and every language included: a translation may name the company
    # in another script than its aliases, while the original names it throughout
    for mention in index.mentions(text):
        if mention.type == "company":
            counts[mention.key] += 1
    return counts.most_common(1)[0][0] if counts else None


# attributes that describe a fact in free words: two proposals differing only in these are one fact
FREE_TEXT = {"scope", "description", "customer_type", "target_text", "topic", "status", "stage", "role"}


def fact_key(event):
    """What makes two proposals the same fact: who, what kind, which figures or things, when."""
    attributes = event["attributes"]
    distinct = {k: v for k, v in attributes.items() if k not in FREE_TEXT}
    if "metric" in attributes and ("value" in distinct or "target" in distinct):
        # a figure stated again with or without its change ("revenue was $X" in the Q&A) is the same figure
        distinct = {k: v for k, v in distinct.items() if k in ("metric", "value", "target", "segment")}
    return (event["entity"], event.get("counterparty"), event["kind"], json.dumps(distinct, sort_keys=True),
            event["_chosen_date"].span)


def _merge_repeats(events):
    """A fact stated again (the CEO's figure repeated by the CFO, a Q&A recap) is proposed once:
    the first statement is kept and its review note points to the first repeat and counts the others."""
    kept, first, repeats = [], {}, {}
    for event in events:
        key = fact_key(event)
        if key[3] == "{}" and key[1] is None:
            kept.append(event)  # nothing tells this fact apart ("secured new project wins"): never merged
            continue
        if key in first:
            repeats.setdefault(id(first[key]), []).append(event) if len(repeats.get(id(first[key]), [])) < 1 else None
            first[key]["_repeats"] = first[key].get("_repeats", 0) + 1
            continue
        first[key] = event
        kept.append(event)
    for event in kept:
        count = event.pop("_repeats", 0)
        if count:
            quote = repeats[id(event)][0]["quote"]
            repeat = quote if len(quote) <= 80 else quote[:77] + "…"
            again = "again" if count == 1 else f"{count} more times"
            event["review"] = event["review"][:-1] + f"; the same fact is stated {again}: \"{repeat}\"."
    return kept


def _assign_ids(events):
    """`{entity}/{period slug}/{metric or kind}`, made unique with -2, -3…"""
    seen = Counter()
    for event in events:
        date = event["_chosen_date"]
        base = proposing.event_id(event["entity"], date.span, event["_reading"])
        seen[base] += 1
        event["id"] = base if seen[base] == 1 else f"{base}-{seen[base]}"


def _public(event):
    return {k: v for k, v in event.items() if not k.startswith("_")}


def _source(key, title, publisher, url, published_text, how_dated, layout, language, sha256, reporting,
            default_entity, entity_option, index):
    title = title or _title(layout, reporting, default_entity, index) or key
    notes = [f"Drafted by `timeline draft`; the publication date was {how_dated}."]
    if reporting is not None:
        notes.append(f"Reporting period read as {reporting.label} from {reporting.evidence!r}.")
    if default_entity and not entity_option:
        notes.append(f"'we' and 'the company' were read as {default_entity}, the company the document names most.")
    source = {"key": key, "title": title}
    if publisher:
        source["publisher"] = publisher
    if url:
        source["url"] = url
    source["published_on"] = published_text
    document_type = {"transcript": "earnings_call", "press_release": "press_release"}.get(layout.kind)
    if document_type:
        source["document_type"] = document_type
    source["language"] = language
    if sha256:
        source["sha256"] = sha256
    source["note"] = " ".join(notes)
    source["status"] = "draft"
    return source


def _title(layout, reporting, default_entity, index):
    if layout.kind == "transcript":
        name = index.name_of(default_entity) if default_entity else None
        period = reporting.label if reporting else None
        return " ".join(filter(None, [name, period, "earnings call transcript"])) if name or period else None
    return layout.title


def strip_draft_marks(bundle):
    """The bundle without `status:` and `review:` (what a curator's review ends with)."""
    source = {k: v for k, v in bundle["source"].items() if k != "status"}
    events = [{k: v for k, v in e.items() if k != "review"} for e in bundle["events"]]
    return {"source": source, "events": events}
