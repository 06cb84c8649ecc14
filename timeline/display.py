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
    for size, suffix in SCALES:
        if magnitude >= size:
            return f"{_trim(amount / size)}{suffix}"
    return _trim(amount)


def _trim(amount):
    """At most four significant digits, no trailing zeros: 155.6, 1.25, 120."""
    text = f"{amount:.4g}"
    if "e" in text:
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
