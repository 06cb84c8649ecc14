"""Which facts a sentence states: kind, metric, value, entity, counterparty, attributes.

Every rule of rules.py that matches gives a reading of the sentence.  A reading
is kept only if it can make a valid event (a launch names a product, a listing
an exchange, a customer relation a second party...).  A sentence gives one
reading per fact (`read_all`): each metric with its value, each figure it compares
with, the first kind reading and any other that names a party of its own, each
party of a list, and the figures no rule claims (notes).  Each reading carries
`doubts`, the reasons the proposal's confidence is lowered (propose.py).
Who the event is about and the attributes of each kind are kinds.py's work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import vocabulary
from ..errors import TimelineError
from . import kinds, rules
from .amounts import Amount, is_decrease
from .mentions import EntityIndex, Mention


@dataclass(frozen=True)
class Sentence:
    """One sentence and what the extractors found in it."""

    text: str
    amounts: list
    mentions: list
    index: EntityIndex
    default: str | None = None      # the document's company: "we", "the company"
    previous: object = None         # the previous sentence's last metric reading ("That's up from...")

    def implicit(self, key):
        """A mention of `key` the sentence implies without naming it."""
        return Mention(key, "", -1, -1, self.index.type_of(key), True)

    def products(self):
        return [m for m in self.mentions if m.type == "product"]


@dataclass(frozen=True)
class MetricMention:
    metric: str
    start: int
    end: int
    text: str
    value_kind: str
    order: int


@dataclass
class Reading:
    """One way of reading a sentence as an event."""

    kind: str
    start: int                      # where the deciding wording starts
    end: int
    words: str                      # the deciding wording, for the review note
    anchor: int                     # where the fact sits: the nearest date to here is its date
    metric: str | None = None
    value: Amount | None = None     # the value or target
    attributes: dict = field(default_factory=dict)
    entity: Mention | None = None
    counterparty: Mention | None = None
    remarks: list = field(default_factory=list)
    used: list = field(default_factory=list)  # amounts the event states
    weak: bool = False              # a reading other wording should win over (guidance without a figure)
    wants: str | None = None        # a note standing for a metric the vocabulary lacks ("eps")
    comparison: bool = False        # a prior-period figure ("up from $19 billion in July"): dated by its own period
    doubts: list = field(default_factory=list)  # why this reading may be wrong (lowers its confidence)

    @property
    def has_figure(self):
        return bool(self.used)


# ---- metrics ----

ANY_METRIC = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern, _ in rules.METRICS), re.IGNORECASE)


def metric_mentions(text):
    """Metric wordings in `text`; where two overlap the more specific (listed first) wins."""
    if not ANY_METRIC.search(text):
        return []  # one pass instead of one per metric for the many sentences that name none
    found = []
    for order, (metric, pattern, value_kind) in enumerate(rules.METRICS):
        for match in pattern.finditer(text):
            found.append(MetricMention(metric, match.start(), match.end(), match.group(), value_kind, order))
    chosen = []
    for mention in sorted(found, key=lambda m: (m.order, m.start)):
        if all(mention.end <= other.start or mention.start >= other.end for other in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)


def fits(value_kind, amount, metric=None):
    """Whether `amount` can be the value of a metric whose values are `value_kind`."""
    if amount.change and not (metric and metric.endswith("_growth") and amount.kind == "percent"):
        return False  # a change is not a level, except for a growth rate ("31% year-on-year revenue growth")
    if amount.range:
        return False  # one end of a range is not the value ("from $200 ... to $3,000")
    kinds = value_kind.split("|")
    if "money" in kinds and amount.kind == "money":
        return True
    if "percent" in kinds and amount.kind == "percent" and amount.unit == "percent":
        return True
    if amount.kind != "count":
        return False
    if value_kind in ("vehicles", "units"):
        return amount.unit in ("vehicles", "units", "")
    return amount.unit == value_kind


def pair_values(text, metrics, amounts):
    """{metric mention: value amount}: each metric takes the nearest fitting amount in its clause,
    looking first at the words it overlaps, then after it, then just before it; metrics listed
    before their figures with "respectively" take them in order."""
    paired, taken = _respectively(text, metrics, amounts), set()
    taken = {id(a) for a in paired.values()}
    for position, mention in enumerate(metrics):
        if mention in paired:
            continue
        # the clause of a metric ends where the next metric of the same sort begins
        # ("revenue rose, while gross profit was $30 million": the $30 million is not revenue)
        same_sort = [m.start for m in metrics[position + 1:] if m.value_kind == mention.value_kind]
        limit = min(same_sort[0] if same_sort else len(text), mention.end + 120)
        free = [a for a in amounts if id(a) not in taken and fits(mention.value_kind, a, mention.metric)]
        overlapping = [a for a in free if a.start < mention.end and mention.start < a.end]
        after = [a for a in free if mention.end <= a.start < limit]
        before = [a for a in free if a.end <= mention.start and mention.start - a.end <= 40
                  and not _clause_break(text[a.end:mention.start])]
        choice = (overlapping or after or before[-1:] or [None])[0]
        if choice is not None:
            paired[mention] = choice
            taken.add(id(choice))
    return paired


def _respectively(text, metrics, amounts):
    """"Adjusted EBITDA and operating income of $772 million and $600 million respectively"."""
    paired = {}
    for word in re.finditer(r"\brespectively\b", text):
        before = [m for m in metrics if m.end <= word.start()]
        if len(before) < 2:
            continue
        group = [before[-1]]
        for mention in reversed(before[:-1]):
            if not re.fullmatch(r"\s*(?:,|,?\s*and)\s*(?:the\s+)?", text[mention.end:group[0].start]):
                break
            group.insert(0, mention)
        if len(group) < 2:
            continue
        figures = [a for a in amounts if group[-1].end <= a.start < word.start() and not a.change]
        if len(figures) != len(group):
            continue
        for mention, figure in zip(group, figures):
            if fits(mention.value_kind, figure, mention.metric):
                paired[mention] = figure
    return paired


def _clause_break(text):
    return bool(re.search(r"[;:]|,\s+(?:and|but|while|which|with)\b", text))


def changes_of(text, start, value, amounts, next_value_start):
    """The changes reported with a value: percentages from its metric's wording (`start`) up to the
    next value ("revenue increasing 31% year-over-year to RMB1.3 billion"), as
    {'change_yoy': (amount, quantity), ...}; a decrease is negative."""
    found = {}
    for amount in amounts:
        if amount.kind != "percent" or amount.change not in ("yoy", "qoq") or amount.start < start or amount is value:
            continue
        if next_value_start is not None and amount.start >= next_value_start:
            break
        name = "change_yoy" if amount.change == "yoy" else "change_qoq"
        found.setdefault(name, (amount, amount.quantity(negate=is_decrease(text, amount))))
    return found


# ---- readings ----

def read(sentence, dated=False, future=False, figure_notes=False):
    """(the first Reading or None, the other readings) of a Sentence: see `read_all`."""
    readings = read_all(sentence, dated, future, figure_notes)
    return (readings[0], readings[1:]) if readings else (None, [])


def read_all(sentence, dated=False, future=False, figure_notes=False):
    """Every fact a Sentence states, one Reading each, the main one first.

    A sentence may state several facts ("revenue of $X, up 8%, and full-year revenue of $Y";
    "a design win with Porsche, and shipped systems to VW"; "partnerships with A, B and C"):
    each metric with its value, each figure compared against ("up from $19 billion in July"),
    each kind's wording with each second party, and each figure no rule claims (a note).
    `dated`: the sentence names a date of its own; `future`: one of its dates is after the
    publication; `figure_notes`: a figure with no rule of its own may be a note (when the
    sentence is dated or the document reports on a period).
    """
    text = sentence.text
    if rules.NOT_A_FACT.search(text) or text.rstrip(" \"”’'").endswith(("?", "？")):
        return []
    readings = _metric_readings(sentence, future)
    kind_readings = []
    for kind, pattern in rules.KIND_RULES:
        for match in _matches(pattern, text):
            reading = _kind_reading(kind, match, sentence)
            if reading is not None and _stands_without_date(reading, text, dated):
                kind_readings.append(reading)
    readings = _distinct(readings + _second_facts(readings, kind_readings, sentence))
    if figure_notes:
        readings.extend(_figure_notes(sentence, readings))
    if not readings:
        return []
    strong = [r for r in readings if not r.weak]
    if strong:
        readings = strong  # guidance without a figure only when nothing else is said
    readings.sort(key=lambda r: (not r.has_figure, r.weak, r.start))
    return readings


def _second_facts(metric_readings, kind_readings, sentence):
    """Which kind readings state facts of their own beside the main one.  A figure a metric reading
    states is not also an investment's amount; the first kind reading stands (when no figure was
    read); another stands only with a second party of its own, named ("a design win with Porsche,
    and shipped systems to VW"); each stands for every party listed with its own."""
    figures = {(a.start, a.end) for r in metric_readings for a in r.used}
    kept = []
    for reading in sorted(kind_readings, key=lambda r: r.start):
        if any((a.start, a.end) in figures for a in reading.used):
            continue  # "adjusted EBITDA loss was RMB210 million ... equity investment loss"
        party = reading.counterparty
        named = party is not None and party.start >= 0 and not party.pronoun
        new_party = named and all(_party(k) != party.key for k in kept)
        if any(k.kind == reading.kind for k in kept) and not new_party:
            continue  # the same kind again, for no new party
        if reading.kind in rules.RELATIONAL_KINDS and (kept or metric_readings) and not named:
            continue  # a relation beside another fact needs its party named
        kept.append(reading)
    return [extra for reading in kept for extra in [reading] + _listed_parties(reading, sentence)]


def _matches(pattern, text):
    """Each match of a kind's wording, in order, at least 20 characters apart (one per clause)."""
    found, last = [], -100
    for match in pattern.finditer(text):
        if match.start() - last >= 20:
            found.append(match)
            last = match.start()
        if len(found) >= 6:
            break
    return found


# a kind read from the same words as a more specific one, for the same party, is dropped
SUPERSEDED_BY = {"partnership": {"contract_win", "design_win", "investment", "acquisition"}, "contract_win": {"design_win"}}


def _distinct(readings):
    """One reading per fact: the same kind, metric, parties and figures once; of two kinds read from
    the same words for the same party ("secured a supply agreement with X": a contract, not also a
    partnership) the more specific (SUPERSEDED_BY)."""
    kept, seen = [], set()
    for reading in readings:
        if any(other.kind in SUPERSEDED_BY.get(reading.kind, ()) and other.start - 30 <= reading.end
               and reading.start <= other.end + 30 and _party(other) == _party(reading) for other in readings):
            continue
        key = (reading.kind, reading.metric, reading.wants, reading.entity.key if reading.entity else None,
               reading.counterparty.key if reading.counterparty else None,
               tuple(sorted((a.start, a.end) for a in reading.used)), reading.comparison)
        if reading.kind not in ("financial_result", "operating_metric", "guidance", "note") and not reading.used:
            key = key[:5] + tuple(sorted((k, str(v)) for k, v in reading.attributes.items()
                                         if k in ("standard", "product", "vehicle")))
        if key in seen:
            continue
        seen.add(key)
        kept.append(reading)
    return kept


def _listed_entities(reading, sentence):
    """"SAIC and Great Wall Motor have both partnered with Horizon": the same relation for each named subject."""
    entity = reading.entity
    if entity is None or entity.pronoun or entity.start < 0 or reading.kind not in rules.LIST_KINDS | {"ownership"}:
        return []
    text = sentence.text
    names = [m for m in sentence.mentions if not m.pronoun and m.type in kinds.SUBJECT_TYPES and m.end <= reading.start]
    position = next((i for i, m in enumerate(names) if m.start == entity.start), None)
    if position is None:
        return []
    extra, previous = [], entity
    for mention in names[position + 1:]:
        if not LIST_GLUE.match(text[previous.end:mention.start]):
            break
        if reading.counterparty is None or mention.key != reading.counterparty.key:
            copy = Reading(reading.kind, reading.start, reading.end, reading.words, reading.anchor,
                           attributes=dict(reading.attributes), entity=mention, counterparty=reading.counterparty,
                           remarks=list(reading.remarks))
            copy.doubts.append(f"one of a list of parties ('{mention.text}')")
            extra.append(copy)
        previous = mention
    return extra


def _listed_standards(reading, sentence):
    """"granted three certifications: ASPICE CL3, ISO 9001 and ISO 14001": one event per standard."""
    standards = [s.strip() for s in rules.STANDARD.findall(sentence.text)]
    extra = []
    for standard in dict.fromkeys(standards[1:]):
        if standard == reading.attributes.get("standard") or rules.LEVEL.fullmatch(standard):
            continue  # "ISO 26262 ASIL-D": ASIL-D is the level, not a second standard
        copy = Reading(reading.kind, reading.start, reading.end, reading.words, reading.anchor,
                       attributes={"standard": standard}, entity=reading.entity, counterparty=reading.counterparty)
        copy.doubts.append(f"one of {len(set(standards))} standards named")
        extra.append(copy)
    if extra:
        reading.remarks[:] = [r for r in reading.remarks if "one event each" not in r]
    return extra


def _listed_products(reading, sentence):
    """"will launch Journey 5 and Journey 5P": one launch per product listed."""
    products = sentence.products()
    named = [p for p in products if sentence.index.name_of(p.key) == reading.attributes.get("product")]
    if not named:
        return []
    extra, previous = [], named[0]
    for product in products[products.index(named[0]) + 1:]:
        if not LIST_GLUE.match(sentence.text[previous.end:product.start]):
            break
        copy = Reading(reading.kind, reading.start, reading.end, reading.words, reading.anchor,
                       attributes={**reading.attributes, "product": sentence.index.name_of(product.key)},
                       entity=reading.entity, counterparty=reading.counterparty, remarks=list(reading.remarks))
        copy.attributes.pop("vehicle", None)
        copy.doubts.append(f"one of a list of products ('{product.text}')")
        extra.append(copy)
        previous = product
    return extra


def _party(reading):
    return reading.counterparty.key if reading.counterparty is not None else None


LIST_GLUE = re.compile(r"^\s*(?:,|,?\s*and|&|,?\s*as well as|/)\s*$")


def _listed_parties(reading, sentence):
    """"partnerships with A, B, C and D", "customers including A, B and C": one reading per party listed
    with the counterparty (names separated only by commas and "and")."""
    if reading.kind == "launch":
        return _listed_products(reading, sentence)
    if reading.kind == "certification":
        return _listed_standards(reading, sentence)
    extra = _listed_entities(reading, sentence)
    first = reading.counterparty
    if first is None or first.pronoun or first.start < 0 or reading.kind not in rules.LIST_KINDS:
        return extra
    text = sentence.text
    names = [m for m in sentence.mentions if not m.pronoun and m.type in kinds.SUBJECT_TYPES] + [
        Mention(owner, m.text, m.start, m.end, sentence.index.type_of(owner)) for m in sentence.products()
        for owner in [kinds._owner(m.key, sentence.index)] if owner]  # "the Changan UNI-T, Chery eQ5": their makers
    names.sort(key=lambda m: m.start)
    position = next((i for i, m in enumerate(names) if m.start == first.start), None)
    if position is None:
        return extra
    previous = first
    for mention in names[position + 1:]:
        if not LIST_GLUE.match(text[previous.end:mention.start]):
            break
        if mention.key not in (reading.entity.key, first.key) and all(r.counterparty.key != mention.key for r in extra):
            copy = Reading(reading.kind, reading.start, reading.end, reading.words, reading.anchor,
                           attributes=dict(reading.attributes), entity=reading.entity, counterparty=mention,
                           remarks=list(reading.remarks))
            copy.doubts.append(f"one of a list of parties ('{mention.text}')")
            extra.append(copy)
        previous = mention
    return extra


def _stands_without_date(reading, text, dated):
    """Launches and partnership nouns state a fact only with a date (or 'just', 'recently')."""
    if dated or re.search(r"\b(?:just|recently|newly|already)\b", text, re.I):
        return True
    if reading.kind in rules.NEEDS_A_DATE:
        return False
    if reading.kind == "partnership" and rules.PARTNERSHIP_NOUN.match(reading.words):
        return False
    return True


# counts worth a note of their own; durations, spans and specifications ("six months", "96 TOPS") are not
NOTE_COUNTS = {"vehicles", "customers", "brands", "models", "employees", "patents", "people", "shares", "projects",
               "countries", "markets"}


def _figure_note(sentence):
    return _figure_notes(sentence, [])


def _figure_notes(sentence, readings):
    """Figures no reading states ("Loss per share was RMB0.84"): a note each, its topic the words before it."""
    used = {(a.start, a.end) for r in readings for a in r.used}
    taken = [(r.start, r.end) for r in readings]
    figures = [a for a in sentence.amounts if (a.kind in ("money", "percent") or (a.kind == "count" and a.unit in NOTE_COUNTS))
               and (a.start, a.end) not in used and not a.change and not a.range and not a.words
               and not (a.kind == "percent" and _is_bare_change(sentence.text, a))
               and not rules.NOT_THE_COMPANYS.search(sentence.text[max(0, a.start - 30):a.start])]
    notes = _range_figure_notes(sentence, used, taken)
    taken = taken + [(r.start, r.end) for r in notes]
    for figure in figures:
        if any(figure.start < end and start < figure.end for start, end in taken):
            continue
        topic = _topic(sentence.text, figure)
        if not topic:
            continue
        reading = Reading("note", figure.start, figure.end, figure.text, figure.start,
                          attributes={"topic": topic, "value": figure.quantity()}, used=[figure])
        reading.remarks.append("a figure no rule recognises: say what it measures (topic) or delete the event")
        reading.doubts.append("a figure no rule recognises")
        kinds.choose_entities(reading, sentence)
        if reading.entity is not None:
            notes.append(reading)
    return notes


def _range_figure_notes(sentence, used, taken):
    """A range no metric claims ("the pricing will be ranged from RMB400 to RMB1,200"): a note without a
    value, the range in its description (one end of a range is never the value)."""
    ends = [a for a in sentence.amounts if a.range and (a.start, a.end) not in used and not a.words
            and a.kind in ("money", "percent") and not any(a.start < e and s < a.end for s, e in taken)]
    notes = []
    for low, high in zip(ends[::2], ends[1::2]):
        topic = _topic(sentence.text, low)
        if not topic:
            continue
        reading = Reading("note", low.start, high.end, sentence.text[low.start:high.end], low.start,
                          attributes={"topic": f"{topic} (a range)", "description": f"from {low.text} to {high.text}"})
        reading.remarks.append(f"a range ({low.text} to {high.text}) no rule recognises: it wants a range value; "
                               "say what it measures (topic)")
        reading.doubts.append("a range no rule recognises")
        kinds.choose_entities(reading, sentence)
        if reading.entity is not None:
            notes.append(reading)
    return notes


def _topic(text, figure):
    """The words naming a figure: its clause up to the verb before it ("Loss per share" was RMB0.84),
    else what follows it ("14% ... to total revenue")."""
    clause_start = max(text.rfind(sep, 0, figure.start) for sep in (",", ";", ":", " -- ", " – ")) + 1
    words = text[clause_start:figure.start]
    verb = next(rules.FIGURE_VERB.finditer(words), None)
    topic = ""
    if verb is not None and not re.match(r"\s*(?:this|that|it|these|those|which|who|they)\b", words, re.I):
        topic = re.sub(r"^\s*(?:(?:so|and|but|also|then|in \w+|still|our|the|its)\b\s*)+", "",
                       words[:verb.start()], flags=re.I)
        topic = re.sub(r"(?:\s+(?:still|also|now|just|will|would|could|should|can|may|might|has|have|had))+\s*$", "",
                       topic.strip(), flags=re.I).strip(" ,-")
    if not topic:
        after = re.search(r"\b(?:of|to|in) (?:the |our |its |their )?(?P<what>[A-Za-z][\w &-]{2,50}?)\s*(?=[,.;]|$)",
                          text[figure.end:])
        topic = after["what"] if after else ""
    return topic if 2 <= len(topic) <= 80 and re.search(r"[A-Za-z\u3400-\u9fff]", topic) else None


EXISTING_METRICS = set(vocabulary.metrics())


def _metric_readings(sentence, future=False):
    text, amounts = sentence.text, sentence.amounts
    metrics = [m for m in metric_mentions(text) if m.metric != "new_contract_lifetime_revenue"]
    if not metrics:
        return _carried_comparison(sentence)
    paired = pair_values(text, metrics, amounts)
    # "Consensus EPS $0.11", "Expected Revenue $466 million": analysts' figures, not the company's
    for mention in [m for m in paired if rules.NOT_THE_COMPANYS.search(text[max(0, m.start - 30):m.start])]:
        del paired[mention]
    with_values = [m for m in metrics if m in paired]
    readings = []
    for position, mention in enumerate(with_values):
        later = [paired[m].start for m in with_values[position + 1:]]
        reading = _metric_value_reading(sentence, mention, paired[mention], later[0] if later else None, with_values, paired)
        readings.append(reading)
        readings.extend(_comparisons(sentence, reading, mention, later[0] if later else None))
    without = [m for m in metrics if m not in paired]
    readings.extend(_outlooks(sentence, without))
    readings.extend(_range_notes(sentence, without, readings))
    readings.extend(_change_notes(sentence, without, readings))
    readings.extend(_outcomes(sentence, without, readings))
    if not readings and _guidance_cue(text) and (future or rules.GUIDANCE_NOUN.search(text)):
        # without a figure, a metric spoken of with "expect" is guidance only when the
        # sentence looks ahead (a later date) or says "guidance", "target", "outlook"
        mention = next((m for m in metrics if m.metric in EXISTING_METRICS), None)
        if mention is not None:
            clause = _clause_around(text, mention.start, mention.end)
            reading = Reading("guidance", mention.start, mention.end, mention.text, mention.start, mention.metric,
                              attributes={"metric": mention.metric, "target_text": clause}, weak=True)
            reading.remarks.append("no figure: target_text is the clause as written; say the target in a few words")
            reading.doubts.append("an outlook without a figure")
            kinds.choose_entities(reading, sentence)
            readings.append(reading)
    return readings


def _clause_guidance(text, start, end):
    """The guidance wording of the clause holding text[start:end] (a sentence may report a past
    figure and an outlook: "on track to ship a million chips this year, up from 160,000 in 2020")."""
    left = max([text.rfind(sep, 0, start) for sep in (";", ": ", " — ", " – ", ", up from", ", down from", ", compared")] + [-1])
    rights = [i for i in (text.find(sep, end) for sep in (";", ": ", " — ", " – ", ", up from", ", down from")) if i != -1]
    clause = text[left + 1:min(rights) if rights else len(text)]
    return _guidance_cue(clause)


def _metric_value_reading(sentence, mention, value, next_value_start, with_values, paired):
    """A metric with its value: a financial result, an operating metric, or guidance; a note for a
    metric the vocabulary does not have yet."""
    text, amounts = sentence.text, sentence.amounts
    changes = changes_of(text, min(mention.start, value.start), value, amounts, next_value_start)
    if _clause_guidance(text, min(mention.start, value.start), max(mention.end, value.end)):
        kind = "guidance"
    else:
        kind = "financial_result" if mention.metric in rules.FINANCIAL_METRICS else "operating_metric"
    negative = bool(rules.LOSS_AFTER_METRIC.match(text[mention.end:])) and "loss" not in mention.metric
    quantity = _metric_quantity(mention.metric, value, negative)
    wants = None
    if mention.metric not in EXISTING_METRICS:
        wants = mention.metric
        label = rules.WANTED_METRICS.get(wants, wants.replace("_", " "))
        topic = _topic_for(text, mention, label) + (" (outlook)" if kind == "guidance" else "")
        attributes = {"topic": topic, "value": quantity}
        kind = "note"
    else:
        attributes = {"metric": mention.metric, ("target" if kind == "guidance" else "value"): quantity}
        for name, (_, change) in changes.items():
            if kind != "guidance" or name == "change_yoy":
                attributes[name] = change
        if kind == "financial_result" and re.search(r"\badjusted\b|\bnon-GAAP\b", mention.text + text[:mention.start][-30:], re.I):
            attributes["basis"] = "non-GAAP"
    reading = Reading(kind, mention.start, mention.end, mention.text, value.start, None if wants else mention.metric,
                      value, attributes, used=[value] + ([] if wants else [a for a, _ in changes.values()]), wants=wants)
    if wants:
        reading.remarks.append(f"a figure for {rules.WANTED_METRICS.get(wants, wants)}, a metric the vocabulary does "
                               f"not have yet: proposed as a note; it wants metric '{wants}'")
        if changes:
            reading.remarks.append("its change (" + ", ".join(a.text for a, _ in changes.values())
                                   + ") has no place on a note: keep it in the description")
    others = [f"{m.metric} {_show(paired[m])}" for m in with_values if m is not mention]
    if others:
        reading.doubts.append(f"one of {len(with_values)} figures in the sentence")
    if negative:
        reading.remarks.append(f"'{mention.text}' is reported as a loss: the value is negative")
    if value.amount < 0 and not negative:
        reading.remarks.append(f"'{value.text}' is written as a negative figure")
    if value.words:
        reading.remarks.append(f"the figure is written in words ('{value.text}')")
    if any(a.kind == "percent" and a.change is None and _is_bare_change(text, a) for a in amounts if a.start > value.end
           and (next_value_start is None or a.start < next_value_start)):
        reading.remarks.append("a change is given without a comparison period")
    if kind == "operating_metric" and sentence.products():
        reading.attributes.setdefault("product", sentence.index.name_of(sentence.products()[0].key))
    kinds.choose_entities(reading, sentence, markets_ok=mention.metric in ("car_sales", "market_share"))
    return reading


def _topic_for(text, mention, label):
    """A note's topic: the metric as written ("Adjusted Operating Income margin"), else its label."""
    written = re.sub(r"\s+", " ", mention.text).strip()
    before = re.search(r"(?:\b(?:U\.S\. )?GAAP |\bAdjusted |\bnon-GAAP |\bdiluted )+$", text[max(0, mention.start - 30):mention.start], re.I)
    if before and not written.lower().startswith(before.group().strip().lower()):
        written = before.group().strip() + " " + written
    return written if len(written) >= 3 and not written.lower().startswith("per ") else label


COMPARED_WITH = re.compile(r"(?:\b(?:up|down|increas\w*|decreas\w*|ris\w*|rose|fell|grew|grow\w*|improv\w*|narrow\w*|widen\w*)\s+"
                           r"from|\bcompared (?:to|with)|\bversus|\bvs\.?|\bfrom)\s+(?:an? |the )?"
                           r"(?:(?:net )?(?:loss|profit|income|level|total) of\s+)?(?:about |approximately |around )?$", re.IGNORECASE)


def _comparisons(sentence, reading, mention, next_value_start):
    """The figure a value is compared with is a fact of its own period: "$30 billion, up from $19 billion
    in July" is also a July figure.  One reading, dated by the comparison's own date (propose.py)."""
    if reading.value is None:
        return []
    found = []
    text = sentence.text
    for amount in sentence.amounts:
        if amount.start <= reading.value.end or (next_value_start is not None and amount.start >= next_value_start):
            continue
        if amount.change or amount.range or not COMPARED_WITH.search(text[max(0, amount.start - 60):amount.start]):
            continue
        if amount.kind != reading.value.kind or (amount.unit and amount.unit != reading.value.unit and amount.kind != "count"):
            continue
        found.append(_compared_reading(sentence, reading, amount))
        break
    return found


def _compared_reading(sentence, reading, amount):
    attributes = dict(reading.attributes)
    quantity = amount.quantity(negate=reading.value.amount < 0 < amount.amount and reading.kind != "note")
    if not quantity["unit"]:
        quantity["unit"] = reading.value.unit or "units"
    for name in ("value", "target"):
        if name in attributes:
            attributes[name] = quantity
    for name in ("change_yoy", "change_qoq"):
        attributes.pop(name, None)
    kind = reading.kind
    if kind == "guidance":  # a target compared with a past figure: the past figure is a result
        metric = attributes.pop("metric")
        target = attributes.pop("target", quantity)
        attributes = {"metric": metric, "value": target}
        kind = "financial_result" if metric in rules.FINANCIAL_METRICS else "operating_metric"
        attributes.pop("target_text", None)
    compared = Reading(kind, reading.start, reading.end, reading.words, amount.start, reading.metric, amount, attributes,
                       entity=reading.entity, used=[amount], wants=reading.wants, comparison=True)
    compared.remarks.append(f"a figure the sentence compares with ('{amount.text}'): a fact of the earlier period")
    compared.doubts.append("a compared figure, dated by the period it is compared from")
    return compared


def _carried_comparison(sentence):
    """"That's up from $19 billion in July.", "That's expected to grow to $4 billion by fiscal 2026": a
    sentence opening with "That" / "This" / "It" and naming no metric speaks of the previous
    sentence's metric; each figure of its kind is that metric's (compared, or a new value)."""
    previous = getattr(sentence, "previous", None)
    opening = re.match(r"\s*(?:That|This|It)(?:'s|’s| is| was| has| will)\b", sentence.text)
    if previous is None or previous.value is None or not opening:
        return []
    found, text = [], sentence.text
    for amount in sentence.amounts:
        if amount.change or amount.range or amount.kind != previous.value.kind:
            continue
        if amount.kind != "count" and amount.unit != previous.value.unit:
            continue
        if COMPARED_WITH.search(text[max(0, amount.start - 60):amount.start]):
            reading = _compared_reading(sentence, previous, amount)
        else:
            reading = _carried_value(sentence, previous, amount)
        reading.start, reading.end, reading.words = opening.start(), opening.end(), opening.group().strip()
        reading.remarks.append(f"'{opening.group().strip()}' read as the previous sentence's {previous.metric or previous.wants}")
        reading.doubts.append("the metric comes from the previous sentence")
        found.append(reading)
    return found


def _carried_value(sentence, previous, amount):
    metric = previous.metric or previous.wants
    quantity = amount.quantity()
    if not quantity["unit"]:
        quantity["unit"] = previous.value.unit or "units"
    guidance = _clause_guidance(sentence.text, amount.start, amount.end)
    if previous.wants:
        attributes = {"topic": previous.attributes.get("topic", metric) + (" (outlook)" if guidance else ""), "value": quantity}
        kind = "note"
    elif guidance:
        kind, attributes = "guidance", {"metric": metric, "target": quantity}
    else:
        kind = "financial_result" if metric in rules.FINANCIAL_METRICS else "operating_metric"
        attributes = {"metric": metric, "value": quantity}
    return Reading(kind, 0, 0, "", amount.start, previous.metric, amount, attributes, entity=previous.entity,
                   used=[amount], wants=previous.wants)


OUTCOME = re.compile(r"\b(?P<outcome>improved|improving|narrowed|narrowing|widened|expanded|contracted|declined|deteriorated|"
                     r"turned (?:a )?profit(?:able)?|(?:reached|achieved|at) (?:EBITDA |operating )?break-?even|"
                     r"first (?:full[- ]year |quarterly |operating )?profit(?:able (?:quarter|year))?|record(?: high)?|"
                     r"remained (?:robust|strong|stable|solid)|raised|lowered|reaffirmed|maintained)\b", re.IGNORECASE)


def _outcomes(sentence, metrics, readings):
    """A result without a figure ("operating margin improved meaningfully", "net loss narrowed",
    "the first profitable quarter", "a raised full-year revenue outlook"): a note, the outcome in words."""
    if readings:
        return []
    text, found = sentence.text, []
    for mention in metrics:
        window_start, window_end = max(0, mention.start - 40), min(len(text), mention.end + 60)
        outcome = next((m for m in OUTCOME.finditer(text, window_start, window_end)), None)
        if outcome is None or _clause_break(text[min(outcome.end(), mention.end):max(outcome.start(), mention.start)]):
            continue
        words = outcome["outcome"].lower()
        label = rules.WANTED_METRICS.get(mention.metric, mention.metric.replace("_", " "))
        reading = Reading("note", min(mention.start, outcome.start()), max(mention.end, outcome.end()), outcome.group(),
                          mention.start, attributes={"topic": f"{label} {words}"})
        reading.remarks.append(f"a result without a figure ('{outcome.group()}'): it wants a qualitative outcome "
                               f"for metric '{mention.metric}' (positive/breakeven/narrowed/turned_profitable…)")
        reading.doubts.append("a qualitative outcome, no figure")
        kinds.choose_entities(reading, sentence)
        if reading.entity is not None:
            found.append(reading)
            break
    return found


OUTLOOK_AFTER = re.compile(r"^\s*(?:outlook|guidance|forecast|target)\b", re.IGNORECASE)


def _outlooks(sentence, metrics):
    """"a raised full-year revenue outlook": guidance on a metric without a figure, said as such."""
    found = []
    for mention in metrics:
        after = OUTLOOK_AFTER.match(sentence.text[mention.end:])
        if not after or mention.metric not in EXISTING_METRICS:
            continue
        start = max(0, mention.start - 40)
        words = sentence.text[start:mention.end + after.end()]
        clause = re.split(r"[,;:]\s|\band\b|\bwith\b", words)[-1].strip() or words
        reading = Reading("guidance", mention.start, mention.end + after.end(), clause, mention.start, mention.metric,
                          attributes={"metric": mention.metric, "target_text": clause})
        reading.remarks.append("an outlook without a figure: target_text is the words as written")
        reading.doubts.append("an outlook without a figure")
        kinds.choose_entities(reading, sentence)
        found.append(reading)
    return found


def _range_notes(sentence, metrics, readings):
    """A metric given as a range ("ranges from $200 for lower priced models to up to $3,000"): a note
    without a value (a range is never one value), the range in its description."""
    text, found = sentence.text, []
    for mention in metrics:
        ends = [a for a in sentence.amounts if a.range and mention.end <= a.start <= mention.end + 150]
        if len(ends) < 2:
            continue
        low, high = ends[0], ends[1]
        label = rules.WANTED_METRICS.get(mention.metric, mention.metric.replace("_", " "))
        reading = Reading("note", mention.start, mention.end, mention.text, low.start, None,
                          attributes={"topic": f"{_topic_for(text, mention, label)} (a range)",
                                      "description": f"from {low.text} to {high.text}"})
        reading.used = [low, high]  # quoted, not proposed as values
        reading.remarks.append(f"a range ({low.text} to {high.text}): it wants a range value of metric "
                               f"'{mention.metric}'; proposed as a note with the range in its description")
        reading.doubts.append("a range, not one value")
        kinds.choose_entities(reading, sentence)
        if reading.entity is not None:
            found.append(reading)
    return found


def _change_note(sentence, metrics):
    return _change_notes(sentence, metrics, [])


def _change_notes(sentence, metrics, readings):
    """Metrics with only a change ("OpEx increased 12% year-over-year", "adjusted operating income up
    34%"): a note each, the change as its value (the vocabulary has no change-only fact yet)."""
    text = sentence.text
    used = {(a.start, a.end) for r in readings for a in r.used}
    found = []
    for mention in metrics:
        changes = [a for a in sentence.amounts if a.start > mention.end and a.start - mention.end <= 60
                   and (a.start, a.end) not in used and ";" not in text[mention.end:a.start] and (
            (a.kind == "percent" and (a.change or _is_bare_change(text, a))) or (a.kind == "money" and a.change))]
        if not changes:
            continue
        change = changes[0]
        used.add((change.start, change.end))
        label = rules.WANTED_METRICS.get(mention.metric, mention.metric.replace("_", " "))
        reading = Reading("note", mention.start, mention.end, mention.text, change.start, mention.metric,
                          attributes={"topic": f"{label} change",
                                      "value": change.quantity(negate=is_decrease(text, change))},
                          used=[change], wants=mention.metric if mention.metric not in EXISTING_METRICS else None)
        period = {"yoy": "year over year", "qoq": "sequential"}.get(change.change, "comparison period not given")
        reading.remarks.append(f"a change in {mention.metric} without its level ({period}): it wants a change-only "
                               f"fact of metric '{mention.metric}'")
        reading.doubts.append("a change without its level")
        kinds.choose_entities(reading, sentence)
        if reading.entity is not None:
            found.append(reading)
    return found


def _guidance_cue(text):
    match = rules.GUIDANCE.search(text)
    if not match:
        return None
    if re.search(r"\b(?:than|as) expected\b", text, re.I) and not re.search(
            r"\b(?:expects?|will|target|guidance|outlook|on track)\b", text, re.I):
        return None
    return match


def _is_bare_change(text, amount):
    return is_decrease(text, amount) or bool(re.search(r"\b(?:up|increase[sd]?|grew|rose|by|(?:increase|growth|rise|gain) of)\s+$",
                                                       text[max(0, amount.start - 20):amount.start], re.I))


def _metric_quantity(metric, value, negative):
    """The figure in the unit its metric is measured in (metrics.yml): $1.40 of EPS is 1.4 USD/share,
    2% of growth over market is 2 percentage points."""
    quantity = value.quantity(negate=negative)
    if metric in rules.VEHICLE_METRICS and quantity["unit"] in ("units", ""):
        quantity["unit"] = "vehicles"
    if not quantity["unit"]:
        quantity["unit"] = "units"
    measured_in = vocabulary.metrics().get(metric, {}).get("unit")
    if measured_in == "per_share" and vocabulary.builtin().unit_kind(quantity["unit"]) == "currency":
        quantity["unit"] += "/share"
    if measured_in == "points" and quantity["unit"] == "percent":
        quantity["unit"] = "percentage_points"
    return quantity


def _show(amount):
    qualifier = f"{amount.qualifier.replace('_', ' ')} " if amount.qualifier else ""
    return f"{qualifier}{amount.text}"


def _clause_around(text, start, end):
    left = max(text.rfind(sep, 0, start) for sep in (",", ";", ":", "—", " – "))
    rights = [i for i in (text.find(sep, end) for sep in (",", ";", ":", "—", " – ", ".")) if i != -1]
    clause = text[left + 1 if left >= 0 else 0:min(rights) if rights else len(text)].strip()
    return clause[:200]


def _kind_reading(kind, match, sentence):
    """A reading as `kind`, or None when the sentence lacks what an event of that kind needs."""
    reading = Reading(kind, match.start(), match.end(), match.group(), match.start())
    build = kinds.BUILDERS.get(kind)
    if build is not None and build(reading, sentence) is False:
        return None
    if reading.entity is None:
        kinds.choose_entities(reading, sentence)
    if reading.entity is None:
        return None
    if kind in ("partnership", "customer", "ownership", "acquisition") and reading.counterparty is None:
        return None  # a relation needs its second party
    try:
        vocabulary.validate_attributes(kind, reading.attributes)
    except TimelineError:
        return None  # a reading that cannot be an event is not a reading
    return reading
