"""Which fact a sentence states: kind, metric, value, entity, counterparty, attributes.

Every rule of rules.py that matches gives a reading of the sentence.  A reading
is kept only if it can make a valid event (a launch names a product, a listing
an exchange, a customer relation a second party...).  The reading chosen is the
one carrying a figure (a metric's value, an investment's amount), else the one
whose wording comes first: the main clause usually comes before the asides.
The other readings are reported to the curator ("also reads as: founding").
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

    @property
    def has_figure(self):
        return bool(self.used)


# ---- metrics ----

def metric_mentions(text):
    """Metric wordings in `text`; where two overlap the more specific (listed first) wins."""
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
    looking first at the words it overlaps, then after it, then just before it."""
    paired, taken = {}, set()
    for position, mention in enumerate(metrics):
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
    """(the chosen Reading or None, the other valid readings) of a Sentence.

    `dated`: the sentence names a date of its own; `future`: one of its dates is after
    the publication; `figure_notes`: a figure with no rule of its own may be a note
    (when the sentence is dated or the document reports on a period).
    """
    text = sentence.text
    if rules.NOT_A_FACT.search(text) or text.rstrip(" \"”’'").endswith(("?", "？")):
        return None, []
    readings = _metric_readings(sentence, future)
    for kind, pattern in rules.KIND_RULES:
        match = pattern.search(text)
        if match:
            reading = _kind_reading(kind, match, sentence)
            if reading is not None and _stands_without_date(reading, text, dated):
                readings.append(reading)
    if not readings and figure_notes:
        readings = _figure_note(sentence)
    if not readings:
        return None, []
    readings.sort(key=lambda r: (not r.has_figure, r.weak, r.start))
    return readings[0], readings[1:]


def _stands_without_date(reading, text, dated):
    """Launches and partnership nouns state a fact only with a date (or 'just', 'recently')."""
    if dated or re.search(r"\b(?:just|recently|newly|already)\b", text, re.I):
        return True
    if reading.kind in rules.NEEDS_A_DATE:
        return False
    if reading.kind == "partnership" and rules.PARTNERSHIP_NOUN.match(reading.words):
        return False
    return True


def _figure_note(sentence):
    """A figure no rule claims ("Loss per share was RMB0.84"): a note, its topic the words before it."""
    figures = [a for a in sentence.amounts if a.kind in ("money", "percent") or (a.kind == "count" and a.unit)]
    if not figures:
        return []
    figure = figures[0]
    topic = _topic(sentence.text, figure)
    if not topic:
        return []
    reading = Reading("note", figure.start, figure.end, figure.text, figure.start,
                      attributes={"topic": topic, "value": figure.quantity()}, used=[figure])
    reading.remarks.append("a figure no rule recognises: say what it measures (topic) or delete the event")
    kinds.choose_entities(reading, sentence)
    return [reading] if reading.entity is not None else []


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


def _metric_readings(sentence, future=False):
    text, amounts = sentence.text, sentence.amounts
    metrics = [m for m in metric_mentions(text) if m.metric != "new_contract_lifetime_revenue"]
    if not metrics:
        return []
    paired = pair_values(text, metrics, amounts)
    with_values = [m for m in metrics if m in paired]
    if with_values:
        return [_metric_value_reading(sentence, with_values, paired)]
    if _guidance_cue(text) and (future or rules.GUIDANCE_NOUN.search(text)):
        # without a figure, a metric spoken of with "expect" is guidance only when the
        # sentence looks ahead (a later date) or says "guidance", "target", "outlook"
        mention = metrics[0]
        clause = _clause_around(text, mention.start, mention.end)
        reading = Reading("guidance", mention.start, mention.end, mention.text, mention.start, mention.metric,
                          attributes={"metric": mention.metric, "target_text": clause}, weak=True)
        reading.remarks.append("no figure: target_text is the clause as written; say the target in a few words")
        kinds.choose_entities(reading, sentence)
        return [reading]
    return _change_note(sentence, metrics)


def _metric_value_reading(sentence, with_values, paired):
    """A metric with its value: a financial result, an operating metric, or guidance."""
    text, amounts = sentence.text, sentence.amounts
    mention = with_values[0]
    value = paired[mention]
    later = [paired[m].start for m in with_values[1:]]
    changes = changes_of(text, min(mention.start, value.start), value, amounts, later[0] if later else None)
    if _guidance_cue(text):
        kind = "guidance"
    else:
        kind = "financial_result" if mention.metric in rules.FINANCIAL_METRICS else "operating_metric"
    negative = bool(rules.LOSS_AFTER_METRIC.match(text[mention.end:])) and "loss" not in mention.metric
    attributes = {"metric": mention.metric,
                  ("target" if kind == "guidance" else "value"): _metric_quantity(mention.metric, value, negative)}
    for name, (_, change) in changes.items():
        if kind != "guidance" or name == "change_yoy":
            attributes[name] = change
    if kind == "financial_result" and re.search(r"\badjusted\b|\bnon-GAAP\b", mention.text + text[:mention.start][-30:], re.I):
        attributes["basis"] = "non-GAAP"
    reading = Reading(kind, mention.start, mention.end, mention.text, value.start, mention.metric, value, attributes,
                      used=[value] + [a for a, _ in changes.values()])
    others = [f"{m.metric} {_show(paired[m])}" for m in with_values[1:]]
    if others:
        reading.remarks.append(f"the sentence also gives {', '.join(others)}: one event each?")
    if negative:
        reading.remarks.append(f"'{mention.text}' is reported as a loss: the value is negative")
    if any(a.kind == "percent" and a.change is None and _is_bare_change(text, a) for a in amounts if a.start > value.end):
        reading.remarks.append("a change is given without a comparison period")
    if kind == "operating_metric" and sentence.products():
        reading.attributes.setdefault("product", sentence.index.name_of(sentence.products()[0].key))
    kinds.choose_entities(reading, sentence, markets_ok=mention.metric in ("car_sales", "market_share"))
    return reading


def _change_note(sentence, metrics):
    """A metric with only a change ("OpEx increased 12% year-over-year"): a note, not a value."""
    text = sentence.text
    for mention in metrics:
        changes = [a for a in sentence.amounts if a.start > mention.end and a.start - mention.end <= 60 and (
            (a.kind == "percent" and (a.change or _is_bare_change(text, a))) or (a.kind == "money" and a.change))]
        if changes:
            change = changes[0]
            reading = Reading("note", mention.start, mention.end, mention.text, change.start, mention.metric,
                              attributes={"topic": f"{mention.metric.replace('_', ' ')} change",
                                          "value": change.quantity(negate=is_decrease(text, change))},
                              used=[change])
            period = {"yoy": "year over year", "qoq": "sequential"}.get(change.change, "comparison period not given")
            reading.remarks.append(f"a change in {mention.metric} without its level ({period})")
            kinds.choose_entities(reading, sentence)
            return [reading]
    return []


def _guidance_cue(text):
    match = rules.GUIDANCE.search(text)
    if not match:
        return None
    if re.search(r"\b(?:than|as) expected\b", text, re.I) and not re.search(
            r"\b(?:expects?|will|target|guidance|outlook|on track)\b", text, re.I):
        return None
    return match


def _is_bare_change(text, amount):
    return is_decrease(text, amount) or bool(re.search(r"\b(?:up|increase[sd]?|grew|rose|by)\s+$",
                                                       text[max(0, amount.start - 20):amount.start], re.I))


def _metric_quantity(metric, value, negative):
    quantity = value.quantity(negate=negative)
    if metric in rules.VEHICLE_METRICS and quantity["unit"] in ("units", ""):
        quantity["unit"] = "vehicles"
    if not quantity["unit"]:
        quantity["unit"] = "units"
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
