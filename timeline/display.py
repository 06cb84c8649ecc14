"""How values and periods read, for people: the CLI and the web pages say them alike.

    period("2025-04-01", "2025-06-30", "quarter")            -> "Q2 2025"
    quantity(155600000, "USD", "over")                        -> "over 155,600,000 USD"
    quantity(16.3, "percent")                                 -> "16.3%"
    quantity(0.17, "USD/share")                               -> "0.17 USD per share"
    value({"low": 43000, "high": 48000, "unit": "vehicles"})  -> "43,000–48,000 vehicles"
    value({"change_yoy": {"amount": -36.2, "unit": "percent"}}) -> "-36.2% year over year"
    value({"outcome": "turned_profitable"})                   -> "turned profitable"
    compact(155600000)                                        -> "155.6M"
"""
import re

from . import dates, vocabulary


def period(valid_from, valid_to, precision):
    """"Q2 2025" for a quarter; the plain span if the dates cannot be labelled."""
    try:
        return dates.label(valid_from, valid_to, precision)
    except (dates.DateError, ValueError, KeyError, TypeError):
        return f"{valid_from} to {valid_to}" if valid_from != valid_to else str(valid_from)


def number(amount):
    """155600000 -> '155,600,000'; an integral float loses its '.0'; 1.37 stays 1.37."""
    if isinstance(amount, float) and amount.is_integer():
        amount = int(amount)
    return f"{amount:,}" if isinstance(amount, (int, float)) else str(amount)


def quantity(amount, unit=None, qualifier=None):
    """'over 1,000,000,000 USD', '16.3%', '135,000 units', '0.17 USD per share'."""
    return f"{_qualifier(qualifier)}{number(amount)}{_unit(unit)}".strip()


def _qualifier(qualifier):
    return f"{qualifier.replace('_', ' ')} " if qualifier else ""


def _unit(unit):
    unit = unit or ""
    if unit == "percent":
        return "%"
    if unit.endswith("/share"):
        return f" {unit[:-6]} per share"
    return f" {unit.replace('_', ' ')}" if unit else ""


CHANGES = {"change_yoy": "year over year", "change_qoq": "quarter over quarter"}


def value(value, vocab=None):
    """Any attribute or state value as a person reads it: a figure, a range, an outcome, a change,
    a list, yes/no, text."""
    if isinstance(value, dict) and "amount" in value:
        return quantity(value["amount"], value.get("unit"), value.get("qualifier"))
    if isinstance(value, dict) and "low" in value:
        return f"{_qualifier(value.get('qualifier'))}{number(value['low'])}–{number(value['high'])}{_unit(value['unit'])}"
    if isinstance(value, dict) and "outcome" in value:
        return (vocab or vocabulary.builtin()).outcome_words(value["outcome"])
    if isinstance(value, dict) and set(value) & set(CHANGES):
        return "; ".join(f"{_signed(value[name])} {words}" for name, words in CHANGES.items() if name in value)
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _signed(change):
    text = value(change)
    return text if text.startswith("-") else f"+{text}"


def state_value(entry, vocab=None):
    """A StateEntry's value: its quantity when it has a unit, else the value itself."""
    if entry.unit:
        return quantity(entry.value, entry.unit, entry.qualifier)
    return value(entry.value, vocab)


SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact(amount, unit=None):
    """155600000 -> '155.6M', 135000 -> '135K', 12.5 percent -> '12.5%' (chart labels)."""
    if unit == "percent":
        return f"{_trim(amount)}%"
    magnitude = abs(amount)
    if magnitude >= 1e15:  # past trillions: 2e+17, not "200000T"
        return f"{amount:.3g}"
    for size, suffix in SCALES:
        if magnitude >= size:
            return f"{_trim(amount / size)}{suffix}"
    return _trim(amount)


def _trim(amount):
    """At most four significant digits, no trailing zeros: 155.6, 1.25, 120."""
    text = f"{amount:.4g}"
    if "e" in text:
        if 0 < abs(amount) < 1e-4:  # 1e-11 stays 1e-11, never "0"
            return f"{amount:.3g}"
        text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def metric_label(metric, vocab=None):
    """The metric's label from the vocabulary ('Revenue'), else its name in words."""
    spec = (vocab or vocabulary.builtin()).metrics.get(metric)
    return spec["label"] if spec else metric.replace("_", " ")


def metric_description(metric, vocab=None):
    """The metric's description from the vocabulary ('total revenue'), else its name in words."""
    spec = (vocab or vocabulary.builtin()).metrics.get(metric)
    return spec["description"] if spec else metric.replace("_", " ")


def attribute_name(name):
    return name.replace("_", " ")


# ---- short figures, dates as the source gave them, text safe for XML (the web pages) ----

def short_number(amount):
    """155600000 -> '155.6M', 1300000000 -> '1.3B', 1234567 -> '1,234,567': scaled only when exact."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return str(amount)
    magnitude = abs(amount)
    for size, suffix in SCALES[:-1]:  # millions and up: 135,000 stays 135,000
        if magnitude >= size:
            scaled = f"{amount / size:.3f}".rstrip("0").rstrip(".")
            if abs(float(scaled)) < 1000 and abs(float(scaled) * size - amount) <= magnitude * 1e-12:
                return scaled + suffix
            break
    return number(amount)


def short_quantity(amount, unit=None, qualifier=None):
    """'155.6M USD', 'over 6.9M vehicles', '23%': like quantity, scaled where that loses nothing."""
    return f"{_qualifier(qualifier)}{short_number(amount)}{_unit(unit)}".strip()


def short_value(value, vocab=None):
    """Any value, figures scaled as short_quantity scales them: '12.9B–13.6B CNY', 'turned profitable'."""
    if isinstance(value, dict) and "amount" in value:
        return short_quantity(value["amount"], value.get("unit"), value.get("qualifier"))
    if isinstance(value, dict) and "low" in value:
        return (f"{_qualifier(value.get('qualifier'))}{short_number(value['low'])}–"
                f"{short_number(value['high'])}{_unit(value.get('unit'))}")
    return globals()["value"](value, vocab)


def change_words(attributes):
    """'+31% year over year' from an event's change_yoy / change_qoq attributes ('' when it has none)."""
    if not isinstance(attributes, dict):
        return ""
    return value({name: attributes[name] for name in CHANGES if isinstance(attributes.get(name), dict)} or None)


DATE_WORDS = ("by", "since", "until", "till", "before", "after", "from", "through")


def when(valid_from, valid_to, precision, date_text=None, reported_on=None, fiscal_year_end="12-31"):
    """A date as the source gave it, never more exact than it was.

        when("2025-04-01", "2025-06-30", "quarter", "the second quarter", "2025-09-08") -> "Q2 2025"
        when("2025-09-01", "2025-09-30", "month", "by September 2025")                 -> "by Sep 2025"
        when("2025-01-01", "2025-09-08", "approximate", "recently")        -> "Jan–Sep 2025 (approx.; “recently”)"
        when("2020-09-01", "2020-12-31", "approximate", "late 2000")        -> "late 2020 (stated: late 2000)"

    An approximate span that is not early/mid/late/c. of a year reads as the months it
    covers, marked approximate, with the source's words; a date text that reads as
    another span than the one stored is shown beside it.
    """
    label = period(valid_from, valid_to, precision)
    fuzzy = precision == "approximate" and " to " in label
    if fuzzy:
        label = f"{months(valid_from, valid_to)} (approx.)"
    text = " ".join(str(date_text or "").split())
    if not text:
        return label
    stated = _read_date(text, reported_on, fiscal_year_end)
    if stated is not None and (stated[1] < str(valid_from) or stated[0] > str(valid_to)):
        return f"{label} (stated: {text})"  # the words name another time than the one stored
    word = text.split(" ", 1)[0].casefold()
    if stated is not None and word in DATE_WORDS and not fuzzy:
        return f"{word} {label}"
    if precision == "approximate" and (stated is None or stated != (str(valid_from), str(valid_to), precision)):
        return f"{label[:-1]}; “{text}”)" if fuzzy else f"{label} (“{text}”)"
    return label


def months(valid_from, valid_to):
    """A span by its months: '2028–2029', 'Jan–Sep 2025', 'Aug 2024–Aug 2026', 'Sep 2025'."""
    try:
        start, end = dates.parse_iso(str(valid_from)), dates.parse_iso(str(valid_to))
    except dates.DateError:
        return f"{valid_from} to {valid_to}"
    names = dates.MONTH_ABBREVIATIONS
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
    if start.year == end.year:
        if start.month == end.month:
            return f"{names[start.month - 1]} {start.year}"
        return f"{names[start.month - 1]}–{names[end.month - 1]} {start.year}"
    return f"{names[start.month - 1]} {start.year}–{names[end.month - 1]} {end.year}"


def _read_date(text, reported_on, fiscal_year_end):
    """(valid_from, valid_to, precision) the text reads as, or None when it is not a date we read."""
    try:
        span = dates.parse(text, base=reported_on or None, fiscal_year_end=fiscal_year_end or "12-31")
    except Exception:  # noqa: BLE001 - any text a log holds; unreadable is simply "not a date"
        return None
    return span.valid_from.isoformat(), span.valid_to.isoformat(), span.precision


def kind_label(kind):
    """'financial_result' -> 'financial result'."""
    return str(kind).replace("_", " ")


_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text):
    """The text without the characters XML 1.0 forbids (\\x07, \\x1b, \\x0b, \\ufffe…): safe in Atom and SVG."""
    return "" if text is None else _NOT_XML.sub("", str(text))
