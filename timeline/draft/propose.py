"""One segment of a document -> one proposed event (or none), with its review note.

The pieces come from the extractors (dates in context, amounts, entity
mentions, the wording rules); this module decides the event's date, trims the
quote, writes the summary and says in `review:` what the curator must check.

Two promises every proposal keeps (tests/test_draft.py checks them on every draft):
- its quote is a verbatim piece of the document, at most 300 characters;
- every amount it proposes is written in its quote, and so is its date, unless the
  date was inferred (reporting period, publication date, a table header), in which
  case `date_note` says how and the review note says to check it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from .. import dates, validation, vocabulary
from ..errors import TimelineError
from . import classify, quote, rules, when
from . import segment as segmenting
from .amounts import find_amounts
from .mentions import EntityIndex, Mention

PRESENT = re.compile(r"\b(?:now|currently|today|already|to date|presently|remains?|so far)\b|目前|現已|现已|已經|已经",
                     re.IGNORECASE)
STOCK_METRICS = {name for name, spec in vocabulary.metrics().items() if spec["type"] == "stock"}


@dataclass
class Context:
    """What every segment of one document is read against."""

    index: EntityIndex
    default_entity: str | None
    published_on: dt.date           # the base for relative dates
    fiscal_year_end: str = "12-31"
    reporting: when.ReportingPeriod | None = None
    language: str = "en"
    previous: object = None         # the last metric reading of the previous sentence
    coreference: bool = False       # "the company", "it" mean the subject last named (news), not --entity
    subject: str | None = None      # the company last named as a sentence's subject


# confidence bands: a proposal below LOW is still proposed, sorted last
HIGH, LOW = 0.7, 0.5
ASIDE = re.compile(r",\s+(?:including|driven|reflecting|due to|excluding|offsetting|partially offset)\b", re.IGNORECASE)
CLAUSE_END = re.compile(r";|,\s+(?:and|but|while|which|bringing|reflecting|driven|offsetting)\b|\s[–—]\s")


def propose(segment, context):
    """The events `segment` states: a list of bundle mappings, each with `review:`."""
    if segment.role == "row":
        return _propose_row(segment, context)
    if segment.role == "speaker":
        event = _propose_speaker(segment, context)
        return [event] if event is not None else []
    sentence = segment.text
    mentions = _resolve_references(context.index.mentions(sentence, context.default_entity), sentence, context)
    found_dates = when.find_dates(sentence, context.published_on, context.fiscal_year_end, context.language,
                                  context.reporting)
    # numbers inside names ("Antora 1000", "Polestar 4") and dates ("2024") are not amounts
    skip = [(m.start, m.end) for m in mentions if re.search(r"\d", m.text)] + [(d.start, d.end) for d in found_dates]
    amounts = find_amounts(sentence, skip, context.language)
    own_dates = [d for d in found_dates if not d.comparison]
    future = any(d.span.valid_to > context.published_on for d in own_dates)
    facts = classify.Sentence(sentence, amounts, mentions, context.index, context.default_entity, context.previous)
    readings = [r for r in classify.read_all(facts, dated=bool(own_dates), future=future,
                                             figure_notes=bool(own_dates) or context.reporting is not None)
                if r.entity is not None]
    measured = [r for r in readings if r.value is not None and not r.comparison]
    context.previous = measured[-1] if measured else None
    readings = [copy for reading in readings for copy in _per_date(reading, found_dates, sentence)]
    several = len(readings) > 1
    events = []
    for reading in readings:
        date = _choose_date(reading, found_dates, sentence, segment, context)
        if date is None:
            continue
        start, end = _quote_bounds(sentence, reading, date, tight=several)
        _drop_amounts_outside(reading, start, end)
        date = _date_outside_quote(date, start, end)
        event = _event(reading, date, sentence[start:end], context)
        remarks = _remarks(reading, readings if not several else [], date, segment,
                           trimmed=(end - start) < len(sentence))
        confidence, doubts = _confidence(reading, date, segment, several)
        band = "high" if confidence >= HIGH else "medium" if confidence >= LOW else "low"
        why = f" ({'; '.join(doubts)})" if doubts else ""
        event["review"] = f"Confidence {band}, {confidence:.2f}{why}. Check " + "; ".join(remarks) + "."
        event["_confidence"] = confidence
        event = _valid(event, context)
        if event is not None:
            events.append(event)
    return events


IT = re.compile(r"\b[Ii]t(?= (?:said|says|expects|expected|reported|reports|plans|planned|will|has|had|also|announced)\b)")
COMPANY_WORDS = re.compile(r"^(?:the (?:company|group)|its)\b", re.IGNORECASE)


def _resolve_references(mentions, sentence, context):
    """In a news story "the company", "the group" and "it" mean the company last named as a subject
    (the paragraph's subject), not the --entity default; "we" and "our" still mean the default
    (the speaker's company).  In a company's own release or call, all of them mean the default."""
    subject = context.subject
    resolved = list(mentions)
    if context.coreference and subject:
        resolved = [Mention(subject, m.text, m.start, m.end, context.index.type_of(subject), True)
                    if m.pronoun and COMPANY_WORDS.match(m.text) else m for m in mentions]
        taken = [(m.start, m.end) for m in resolved]
        for match in IT.finditer(sentence):
            if not any(s < match.end() and match.start() < e for s, e in taken):
                resolved.append(Mention(subject, match.group(), match.start(), match.end(),
                                        context.index.type_of(subject), True))
        resolved.sort(key=lambda m: m.start)
    named = [m for m in mentions if not m.pronoun and m.type == "company"]
    if named:
        context.subject = named[0].key
    return resolved


DATES_LISTED = re.compile(r"^\s*(?:,|,?\s*and|,?\s*or)\s*$")


def _per_date(reading, found_dates, sentence):
    """"Production is planned to start in August and October 2025": a launch or an opening listed
    with several dates is proposed once for each date (which item goes with which is not stated)."""
    own = [d for d in found_dates if not d.comparison]
    if reading.kind not in ("launch", "facility_opening") or len(own) < 2:
        return [reading]
    listed = [own[0]]
    for mention in own[1:]:
        if DATES_LISTED.match(sentence[listed[-1].end:mention.start]):
            listed.append(mention)
        else:
            break
    if len(listed) < 2:
        return [reading]
    copies = []
    for mention in listed:
        copy = dataclasses.replace(reading, anchor=mention.start, attributes=dict(reading.attributes),
                                   doubts=list(reading.doubts) + ["one of several dates listed: the pairing is not stated"])
        copies.append(copy)
    return copies


def _confidence(reading, date, segment, several):
    """(0..1, the reasons it is not higher): how sure the drafter is of a proposal."""
    score, doubts = 0.9, list(reading.doubts)
    score -= 0.12 * len(reading.doubts)
    if reading.kind == "note":
        score -= 0.1
    entity = reading.entity
    if entity is not None and (entity.start < 0 or (entity.pronoun and not entity.text)):
        score -= 0.1
        doubts.append("the entity is implied, not named")
    elif entity is not None and entity.pronoun and not re.match(r"(?i)we|our|us", entity.text):
        score -= 0.05
        doubts.append(f"the entity read from '{entity.text}'")
    if date.check:
        score -= 0.1
        doubts.append("the date is inferred")
    if several:
        score -= 0.05
    if segment.speaker and "analyst" in segment.speaker.lower():
        score -= 0.3
        doubts.append("an analyst's words")
    if reading.weak:
        score -= 0.15
    return max(0.05, min(0.95, round(score, 2))), doubts


# ---- the date ----

@dataclass
class ChosenDate:
    text: str                      # the date as written (or the label of an inferred span)
    span: dates.DateSpan
    note: str | None = None        # how an inferred date was inferred (becomes date_note)
    mention: when.DateMention | None = None
    check: str | None = None       # what the curator must confirm about it


def _choose_date(reading, found_dates, sentence, segment, context):
    """The event's date: the sentence's own date nearest the fact; else the list's introduction;
    else, by what the fact is, the publication date (a state "now", an outlook) or the reporting
    period (a results document's figures); else the publication date, flagged as a stand-in."""
    if reading.comparison:
        # "up from $19 billion in July": the compared figure's own period, written after it
        compared = [d for d in found_dates if d.start >= reading.anchor
                    and not CLAUSE_END.search(sentence[reading.anchor:d.start])]
        if not compared:
            return None
        found = compared[0]
        return ChosenDate(found.text, found.span, found.note, found, found.note)
    if reading.kind in ("leadership", "listing"):
        return _publication_date(context, "a title or a listing: stated as current on publication")
    in_clause = [d for d in found_dates if not CLAUSE_END.search(
        sentence[min(d.end, reading.anchor):max(d.start, reading.anchor)])
        and not ASIDE.search(sentence[min(d.end, reading.anchor):max(d.start, reading.anchor)])]
    # a date in an aside ("including the impact of the strike in October") dates the aside only
    outside = [d for d in found_dates if not ASIDE.search(sentence[min(d.end, reading.anchor):max(d.start, reading.anchor)])]
    mention = _nearest(in_clause, reading) or _nearest(outside, reading)
    if mention is not None:
        return ChosenDate(mention.text, mention.span, mention.note, mention, mention.note)
    if segment.intro:
        intro_dates = when.find_dates(segment.intro, context.published_on, context.fiscal_year_end,
                                      context.language, context.reporting)
        if intro_dates:
            found = intro_dates[0]
            return ChosenDate(_label(found.span), found.span,
                              f"from the list's introduction: '{found.text}' ({segment.intro!r})",
                              check="the item has no date; it is taken from the list's introduction")
    if reading.kind == "guidance":
        return _publication_date(context, "an outlook with no date of its own: dated when it was given")
    present = PRESENT.search(sentence)
    stock = reading.metric in STOCK_METRICS
    if present or reading.kind in rules.STATE_KINDS or (stock and context.reporting is None):
        why = f"'{present.group()}'" if present else "no date in the sentence"
        return _publication_date(context, f"{why}: stated as current on publication")
    if context.reporting is not None:
        return _reporting_date(context.reporting, stock)
    return ChosenDate(context.published_on.isoformat(), _day(context.published_on),
                      "no date in the sentence; dated by the publication date",
                      check="the sentence has no date: find when this happened (the publication date stands in)")


def _nearest(mentions, reading):
    """The date nearest the fact: a date after a figure counts from the figure's end ("$9 billion by
    fiscal 2031"), a date before it from its start."""
    candidates = [m for m in mentions if not m.comparison]
    if not candidates:
        return None
    end = reading.value.end if reading.value is not None and reading.value.start == reading.anchor else reading.anchor

    def distance(mention):
        if mention.start <= reading.anchor < mention.end:
            return 0
        return mention.start - end if mention.start >= end else reading.anchor - mention.end + 1

    return min(candidates, key=lambda m: (distance(m), m.start))


def _publication_date(context, why):
    return ChosenDate(context.published_on.isoformat(), _day(context.published_on),
                      f"{why} ({context.published_on.isoformat()})",
                      check="the sentence gives no date for it: it is dated by the publication date")


def _reporting_date(reporting, stock):
    """The reporting period for a flow ("revenue was"), its last day for a level ("cash was")."""
    span, where = reporting.span, f"the document reports on {reporting.label} ({reporting.evidence!r})"
    if stock:
        span, where = _day(span.valid_to), f"the end of the reporting period {reporting.label} ({reporting.evidence!r})"
    return ChosenDate(_label(span), span, f"no date in the sentence; {where}",
                      check="the sentence has no date: it inherits the reporting period")


def _day(day):
    return dates.DateSpan(day, day, "day")


def _label(span):
    return dates.label(span.valid_from, span.valid_to, span.precision)


def _date_outside_quote(date, start, end):
    """A date mention the trimmed quote no longer holds becomes an inferred date."""
    mention = date.mention
    if mention is None or (start <= mention.start and mention.end <= end):
        return date
    return ChosenDate(_label(date.span), date.span,
                      f"'{mention.text}', in the same sentence outside the quoted clause" + (f"; {mention.note}" if mention.note else ""),
                      None, "the date is outside the quoted clause")


# ---- the quote ----

def _quote_bounds(sentence, reading, date, tight=False):
    required = [(reading.start, reading.end)]
    value = reading.value or (reading.used[0] if reading.used else None)
    if value is not None:
        required.append((value.start, value.end))
    optional = [(a.start, a.end) for a in reading.used if a is not value]
    if reading.counterparty is not None and reading.counterparty.start >= 0:
        (required if tight else optional).append((reading.counterparty.start, reading.counterparty.end))
    if date.mention is not None:
        optional.append((date.mention.start, date.mention.end))
    if reading.entity is not None and reading.entity.start >= 0 and not tight:
        optional.append((reading.entity.start, reading.entity.end))
    start, end, _ = quote.fit(sentence, required, optional, tight=tight)
    return start, end


def _drop_amounts_outside(reading, start, end):
    """A figure the quote does not hold is not proposed: the curator would have nothing to check it against."""
    inside = [a for a in reading.used if start <= a.start and a.end <= end]
    for name, value in list(reading.attributes.items()):
        if isinstance(value, dict) and "amount" in value and not any(abs(a.amount) == abs(value["amount"]) for a in inside):
            del reading.attributes[name]
    reading.used = inside


# ---- the event ----

def _event(reading, date, quoted, context):
    entity = reading.entity.key
    counterparty = reading.counterparty.key if reading.counterparty is not None else None
    event = {"id": None, "entity": entity}
    if counterparty and counterparty != entity:
        event["counterparty"] = counterparty
    event["kind"] = reading.kind
    event["date"] = date.text
    if date.note:
        event.update(valid_from=date.span.valid_from.isoformat(), valid_to=date.span.valid_to.isoformat(),
                     precision=date.span.precision, date_note=date.note)
    event["summary"] = summary(reading, date, context.index)
    event["attributes"] = dict(reading.attributes)
    event["quote"] = quoted
    event["_chosen_date"] = date
    event["_reading"] = reading
    return event


def event_id(entity, span, reading):
    what = reading.metric or (reading.wants.replace("_", "-") if reading.wants else reading.kind)
    return f"{entity}/{dates.slug(span.valid_from, span.valid_to, span.precision)}/{what}"


def _remarks(reading, others, date, segment, trimmed):
    entity = reading.entity
    remarks = [f"kind {reading.kind} (from '{reading.words}')"]
    if entity.pronoun and entity.text:
        remarks.append(f"entity {entity.key} (from '{entity.text}')")
    elif entity.pronoun or entity.start < 0:
        remarks.append(f"entity {entity.key} (the document's company: the sentence names none)")
    else:
        remarks.append(f"entity {entity.key}")
    if reading.counterparty is not None:
        remarks.append(f"counterparty {reading.counterparty.key} (from '{reading.counterparty.text}')")
    if reading.used:
        remarks.append("the amounts")
    span = _label(date.span)
    if date.span.precision != "day":
        span += f", {date.span.valid_from.isoformat()} to {date.span.valid_to.isoformat()}"
    if date.check:
        remarks.append(f"the date: {date.check} ({span})")
    else:
        remarks.append(f"the date ('{date.text}' read as {span})")
    remarks.extend(reading.remarks)
    if others:
        remarks.append("the sentence also reads as " + ", ".join(f"{o.kind} ('{o.words}')" for o in others[:3]))
    if segment.speaker:
        analyst = "analyst" in segment.speaker.lower()
        remarks.append(f"said by {segment.speaker}" + (" — an analyst's words, not the company's" if analyst else ""))
    if trimmed:
        remarks.append("the quote is trimmed to the clause that carries the fact")
    remarks.append("rewrite the machine-written summary")
    return remarks


def _valid(event, context):
    """The event if `timeline import` would accept it (once the review note is gone), else None."""
    raw = {k: v for k, v in event.items() if not k.startswith("_") and k not in ("review", "id")}
    raw["id"] = "draft/check"
    source = {"key": "draft", "published_to": context.published_on.isoformat()}
    try:  # as the store checks it: the date read with the event's own entity's fiscal year
        validation.make_event(raw, source, context.index.fiscal_year_end(event["entity"]))
    except TimelineError:
        return None
    return event


# ---- transcript speaker lines ----

def _propose_speaker(segment, context):
    """"Phil Zhou - Chief Financial Officer": the company's officer, as introduced on the call.
    Analysts and operators speak for others; their lines state nothing about the company."""
    match = segmenting.SPEAKER.fullmatch(segment.text)
    if not match or context.default_entity is None or re.search(r"\banalyst\b", match["title"], re.I):
        return None
    people = [m for m in context.index.mentions(match["name"]) if m.type == "person"]
    attributes = {"role": match["title"].strip()}
    reading = classify.Reading("leadership", match.start("title"), match.end("title"), match["title"], 0,
                               attributes=attributes)
    reading.entity = Mention(context.default_entity, "", -1, -1, context.index.type_of(context.default_entity), True)
    if people:
        reading.counterparty = people[0]
    else:
        attributes["person"] = match["name"]
    date = _publication_date(context, "a speaker's title on the call: stated as current at the time of the call")
    event = _event(reading, date, segment.text, context)
    event["_confidence"] = 0.75
    event["review"] = (f"Confidence high, 0.75. Check kind leadership (from the speaker line); entity {context.default_entity} (the company "
                       f"holding the call); the person and the role; the date: {date.check}; "
                       "rewrite the machine-written summary.")
    return _valid(event, context)


# ---- table rows ----

SCALE_WORDS = re.compile(r"\b(?:in\s+)?(?P<scale>thousands|millions|billions)\b", re.IGNORECASE)
CURRENCY_WORDS = re.compile(r"(?P<currency>US\$|HK\$|RMB|USD|CNY|EUR|GBP|HKD|€|£|¥|\$)")


def _propose_row(segment, context):
    """A row of a table of figures: one event per column whose header names a period ("Q3 2025",
    "2024"), scaled by the caption; without period headers, the first figure, for the reporting period."""
    label = segment.cells[0][0]
    metrics = classify.metric_mentions(label)
    entity = context.default_entity
    if not metrics or entity is None:
        return []
    metric = metrics[0]
    numbers = [(i, c) for i, c in enumerate(segment.cells) if i > 0 and re.search(r"\d", c[0])]
    columns = []
    for column, cell in numbers:
        header = segment.header[column] if column < len(segment.header) else None
        try:
            span = dates.parse(header, base=context.published_on, fiscal_year_end=context.fiscal_year_end) if header else None
        except dates.DateError:
            span = None
        if span is not None:
            columns.append((column, cell, header, span))
    if not columns and numbers and context.reporting is not None:
        column, cell = numbers[0]
        columns = [(column, cell, None, context.reporting.span)]
    events = []
    for column, (text, start, end), header, span in columns:
        where = " ".join(filter(None, [segment.caption, " ".join(segment.header)]))
        value = _row_value(text, where, label, metric.value_kind)
        if value is None:
            continue
        quoted = segment.text  # the whole row: its label, and its figures side by side
        wants = metric.metric if metric.metric not in classify.EXISTING_METRICS else None
        if wants:
            kind, attributes = "note", {"topic": label, "value": value}
        else:
            kind = "financial_result" if metric.metric in rules.FINANCIAL_METRICS else "operating_metric"
            attributes = {"metric": metric.metric, "value": value}
        source = f"the table's column header '{header}'" if header else f"the reporting period {context.reporting.label}"
        date = ChosenDate(_label(span), span, f"from {source}", check="the row has no date of its own: it is the column's period")
        reading = classify.Reading(kind, 0, len(label), label, 0, None if wants else metric.metric, None, attributes,
                                   wants=wants)
        reading.entity = Mention(entity, "", -1, -1, context.index.type_of(entity), True)
        event = _event(reading, date, quoted, context)
        scale_note = "; the scale and currency come from the caption or header" if segment.caption or segment.header else ""
        wanted = f"; it wants metric '{wants}', which the vocabulary lacks: proposed as a note" if wants else ""
        confidence = 0.7 if header else 0.55
        event["review"] = (f"Confidence {'high' if confidence >= HIGH else 'medium'}, {confidence:.2f} (the entity is "
                           f"implied; the date is the column's). Check kind {kind} (from the row label '{label}'){wanted}; "
                           f"entity {entity} (the document's company); the value (column {column + 1} of the row"
                           f"{scale_note}); the date: {date.check}; rewrite the machine-written summary.")
        event["_confidence"] = confidence
        event = _valid(event, context)
        if event is not None:
            events.append(event)
    return events


def _row_value(cell, context_words, label, value_kind):
    """The figure of a cell: money scaled and priced by the caption or header ("(in millions of US$)"),
    percentages as written, counts in the metric's unit (the caption's scale is for money)."""
    amounts = find_amounts(cell)
    if amounts and amounts[0].kind in ("money", "percent"):
        return amounts[0].quantity()
    number = re.search(r"\(?-?\d[\d,]*(?:\.\d+)?\)?%?", cell)
    if not number:
        return None
    digits = number.group()
    negative = digits.startswith("(") or digits.startswith("-")
    amount = float(digits.strip("()-%").replace(",", ""))
    if negative and not re.search(r"\bloss(?:es)?\b", label, re.I):
        amount = -amount  # "(32.4)" is negative, except on a loss row, where it is the loss itself
    if "money" in value_kind:
        scale = SCALE_WORDS.search(context_words)
        if scale:
            amount *= {"thousands": 1e3, "millions": 1e6, "billions": 1e9}[scale["scale"].lower()]
        currency = CURRENCY_WORDS.search(context_words)
        if not currency:
            return None  # money without a currency is not a quantity we can propose
        unit = vocabulary.normalise_unit(currency["currency"])
    elif "percent" in value_kind:
        unit = "percent"
    else:
        unit = value_kind
    amount = round(amount, 6)
    return {"amount": int(amount) if float(amount).is_integer() else amount, "unit": unit}


# ---- summaries ----

def summary(reading, date, index):
    """One plain sentence a person can read; the curator rewrites it."""
    name = index.name_of(reading.entity.key)
    other = index.name_of(reading.counterparty.key) if reading.counterparty is not None else None
    when_text = _label(date.span)
    attributes = reading.attributes
    metric = (reading.metric or "").replace("_", " ")
    if reading.kind == "note" and "value" in attributes and "topic" in attributes:
        return f"{name}: {attributes['topic']} of {_quantity(attributes['value'])} in {when_text}."
    if reading.kind == "note" and "topic" in attributes:
        return f"{name}: {attributes['topic']} ({when_text})."
    if reading.kind in ("financial_result", "operating_metric") or (reading.kind == "note" and "value" in attributes and reading.metric):
        if reading.kind == "note":
            return f"{name}: {attributes.get('topic', metric)} of {_quantity(attributes['value'])} in {when_text}."
        changes = [f"{_change(attributes[n])} {'year over year' if n == 'change_yoy' else 'sequentially'}"
                   for n in ("change_yoy", "change_qoq") if n in attributes]
        return f"{name} {metric} was {_quantity(attributes['value'])} in {when_text}" + (
            f", {' and '.join(changes)}" if changes else "") + "."
    if reading.kind == "guidance":
        if "target" in attributes:
            return f"{name} expects {metric} of {_quantity(attributes['target'])} for {when_text}."
        return f"{name} guidance on {metric} for {when_text}: {attributes.get('target_text')}."
    details = {
        "investment": lambda: f"{name} invests" + (f" {_quantity(attributes['amount'])}" if "amount" in attributes else "")
                              + (f" in {other}" if other else ""),
        "funding": lambda: f"{name} raises {_quantity(attributes['amount'])}" + (f" from {other}" if other else ""),
        "acquisition": lambda: f"{name} acquires {other or 'a company'}",
        "contract_win": lambda: f"{name} wins a contract" + (f" from {other}" if other else "")
                                + (f" worth {_quantity(attributes['lifetime_revenue'])} over its lifetime" if "lifetime_revenue" in attributes else ""),
        "design_win": lambda: f"{name} wins a design" + (f" with {other}" if other else ""),
        "certification": lambda: f"{name} obtains {attributes['standard']} certification",
        "facility_opening": lambda: f"{name}: {attributes['facility']}" + (f" in {attributes['location']}" if "location" in attributes else "")
                                    + f" ({attributes.get('stage', 'opened')})",
        "headquarters": lambda: f"{name} headquarters in {attributes['location']}",
        "award": lambda: f"{name} receives the {attributes['award']}",
        "launch": lambda: f"{attributes['product']} {attributes.get('stage', 'launched')}" + (
            f" in the {attributes['vehicle']}" if "vehicle" in attributes else ""),
        "partnership": lambda: f"{name} and {other} partner",
        "customer": lambda: f"{other} is a customer of {name}",
        "founding": lambda: f"{name} founded" + (f"; co-founder {other}" if other else ""),
        "leadership": lambda: f"{other or attributes.get('person')} is {attributes['role']} of {name}",
        "ownership": lambda: f"{other} owns {name}" + (f" ({_quantity(attributes['stake'])})" if "stake" in attributes else ""),
        "listing": lambda: f"{name} is listed on {attributes['exchange']}" + (f" as {attributes['ticker']}" if "ticker" in attributes else ""),
    }
    text = details.get(reading.kind, lambda: f"{name}: {reading.kind.replace('_', ' ')}")()
    return f"{text} ({when_text})."


def _quantity(value):
    amount, unit = value["amount"], value["unit"]
    qualifier = f"{value['qualifier'].replace('_', ' ')} " if value.get("qualifier") else ""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if amount >= size:
            return f"{qualifier}{sign}{amount / size:,.6g} {word} {unit}"
    if unit == "percent":
        return f"{qualifier}{sign}{amount:g}%"
    return f"{qualifier}{sign}{amount:,} {unit}".replace(".0 ", " ")


def _change(value):
    amount = value["amount"]
    word = "down" if amount < 0 else "up"
    return f"{word} {_quantity({**value, 'amount': abs(amount)})}"
