"""The controlled vocabulary (vocabulary.yml) and the checks it implies.

Kinds, their attributes, metric names and units are data; this module reads
them once and answers: is this kind known, are these attributes right for it,
what quantity does "155.6 million USD" mean, and which state key does an event
of this kind set.
"""
import functools
import math
import re
from importlib import resources

import yaml

from .errors import TimelineError, did_you_mean

METRIC_KINDS = ("financial_result", "operating_metric", "guidance")
# kinds whose values are reported figures (metric_history); guidance is a forecast
REPORTED_KINDS = ("financial_result", "operating_metric")
PERIOD_SUFFIX = {"quarter": "/quarter", "half": "/half", "year": "/year", "month": "/month"}


@functools.lru_cache(maxsize=1)
def load():
    text = resources.files("timeline").joinpath("vocabulary.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def kinds():
    return load()["kinds"]


def metrics():
    return load()["metrics"]


def check_kind(kind):
    if kind not in kinds():
        raise TimelineError(f"unknown kind '{kind}'{did_you_mean(kind, kinds())}")
    return kinds()[kind]


def check_metric(metric):
    if metric not in metrics():
        raise TimelineError(f"unknown metric '{metric}'{did_you_mean(metric, metrics())}")
    return metrics()[metric]


# far beyond any reported figure (a quadrillion yen is 1e15), and still exact as
# a float, which is how projections and SQL compare amounts
MAX_AMOUNT = 10**18


def is_finite_number(value):
    # abs() first: math.isfinite overflows on a 400-digit int
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and abs(value) <= MAX_AMOUNT and math.isfinite(value))


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _tidy_number(value):
    """Integral floats become ints, so 155600000.0 is stored as 155600000."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def normalise_unit(unit):
    units = load()["units"]
    if not isinstance(unit, str):
        raise TimelineError(f"unit must be text, not {unit!r}")
    if unit in units["currencies"] or unit in units["counts"]:
        return unit
    if unit in units["currency_aliases"]:
        return units["currency_aliases"][unit]
    if unit.upper() in units["currencies"]:
        return unit.upper()
    known = units["currencies"] + units["counts"] + list(units["currency_aliases"])
    raise TimelineError(f"unknown unit '{unit}'{did_you_mean(unit, known)}")


def normalise_quantity(value, name):
    if not isinstance(value, dict):
        raise TimelineError(f"attribute '{name}' must be a quantity {{amount, unit}}, not {value!r}")
    unknown = set(value) - {"amount", "unit", "qualifier"}
    if unknown:
        raise TimelineError(f"attribute '{name}' has unknown field(s) {', '.join(sorted(map(str, unknown)))}; a quantity has amount, unit and qualifier")
    if "amount" not in value or "unit" not in value:
        raise TimelineError(f"attribute '{name}' needs both amount and unit")
    amount = value["amount"]
    if not is_finite_number(amount):
        raise TimelineError(f"attribute '{name}' amount must be a finite number of at most 10^18, not {_short(amount)}")
    quantity = {"amount": _tidy_number(amount), "unit": normalise_unit(value["unit"])}
    if value.get("qualifier") is not None:
        qualifiers = load()["units"]["qualifiers"]
        if value["qualifier"] not in qualifiers:
            raise TimelineError(f"attribute '{name}' has unknown qualifier {value['qualifier']!r}{did_you_mean(value['qualifier'], qualifiers)}")
        quantity["qualifier"] = value["qualifier"]
    return quantity


def _normalise_value(name, spec, value):
    kind = spec["type"]
    if kind == "quantity":
        return normalise_quantity(value, name)
    if kind == "metric":
        if value not in metrics():
            raise TimelineError(f"unknown metric '{value}'{did_you_mean(value, metrics())}")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise TimelineError(f"attribute '{name}' must be non-empty text, not {value!r}")
        return value
    if kind == "number":
        if not is_finite_number(value):
            raise TimelineError(f"attribute '{name}' must be a finite number of at most 10^18, not {_short(value)}")
        return _tidy_number(value)
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TimelineError(f"attribute '{name}' must be a whole number, not {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TimelineError(f"attribute '{name}' must be true or false, not {value!r}")
        return value
    if kind == "date":
        from .dates import parse_iso
        return parse_iso(value).isoformat() if isinstance(value, str) else _bad(name, value, "an ISO date")
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise TimelineError(f"attribute '{name}' must be a list of text, not {value!r}")
        return value
    raise AssertionError(f"vocabulary.yml: attribute type {kind!r} is not handled")


def _bad(name, value, expected):
    raise TimelineError(f"attribute '{name}' must be {expected}, not {value!r}")


def validate_attributes(kind, attributes):
    """The attributes, checked against the kind and normalised; raises TimelineError."""
    spec = check_kind(kind)
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise TimelineError(f"attributes must be a mapping, not {type(attributes).__name__}")
    allowed = spec["required"] + spec["optional"]
    for name in attributes:
        if name not in allowed:
            raise TimelineError(f"unknown attribute '{name}' for kind '{kind}'{did_you_mean(name, allowed)}")
    for name in spec["required"]:
        if attributes.get(name) is None:
            raise TimelineError(f"missing required attribute '{name}' for kind '{kind}'")
    definitions = load()["attributes"]
    return {name: _normalise_value(name, definitions[name], value)
            for name, value in attributes.items() if value is not None}


# ---- quantities written by people: "155.6 million USD", "$1.3bn", "31%" ----

_QUANTITY = re.compile(
    r"""^\s*(?P<prefix>US\$|HK\$|\$|€|£|¥|RMB|USD|CNY|EUR|GBP|HKD|SEK|JPY)?\s*
        (?P<amount>[-+]?\d[\d,]*(?:\.\d+)?)\s*
        (?P<scale>thousand|million|billion|trillion|bn|mn|k|m|b)?\s*
        (?P<unit>%|[A-Za-z_$€£¥]+)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def parse_quantity(text):
    """{'amount', 'unit'} from text such as '155.6 million USD' or 'RMB1.3 billion'."""
    match = _QUANTITY.match(text)
    if not match:
        raise TimelineError(f"cannot read {text!r} as a quantity (try '155.6 million USD' or '31%')")
    prefix, scale, unit = match["prefix"], match["scale"], match["unit"]
    if prefix and unit:
        raise TimelineError(f"{text!r} gives two units, {prefix!r} and {unit!r}")
    unit = "percent" if unit == "%" else (unit or prefix)
    if not unit:
        raise TimelineError(f"{text!r} has no unit (add one: USD, CNY, percent, units…)")
    digits = match["amount"].replace(",", "")
    amount = float(digits) if "." in digits else int(digits)
    if scale:
        amount = amount * load()["units"]["scales"][scale.lower()]
        # 155.6 * 1e6 is 155599999.99999997 in binary; the source meant 155600000
        amount = round(amount, 6)
    return {"amount": _tidy_number(amount), "unit": normalise_unit(unit)}


def parse_attribute_option(option, kind):
    """('key', value) from a CLI `--attr key=value`, typed by the vocabulary.

    A metric name is shorthand on metric kinds: `revenue=155.6 million USD`
    means metric=revenue, value=155600000 USD.
    """
    if "=" not in option:
        raise TimelineError(f"--attr {option!r} must look like key=value")
    name, _, text = option.partition("=")
    name, text = name.strip(), text.strip()
    if kind in METRIC_KINDS and name in metrics():
        value_name = "target" if kind == "guidance" else "value"
        return {"metric": name, value_name: parse_quantity(text)}
    definition = load()["attributes"].get(name)
    if definition is None:
        allowed = kinds().get(kind, {}).get("required", []) + kinds().get(kind, {}).get("optional", [])
        raise TimelineError(f"unknown attribute '{name}' for kind '{kind}'{did_you_mean(name, allowed or load()['attributes'])}")
    kind_of_value = definition["type"]
    if kind_of_value == "quantity":
        return {name: parse_quantity(text)}
    if kind_of_value in ("number", "integer"):
        try:
            return {name: int(text) if kind_of_value == "integer" else _tidy_number(float(text))}
        except ValueError:
            raise TimelineError(f"--attr {name}: {text!r} is not a number") from None
    if kind_of_value == "boolean":
        return {name: text.lower() in ("true", "yes", "1")}
    if kind_of_value == "list":
        return {name: [part.strip() for part in text.split(",") if part.strip()]}
    return {name: text}


# ---- how events shape state and relationships ----

def state_key(kind, attributes, counterparty, valid_from, valid_to, precision):
    """The entity-state key an event sets, or None for kinds without state."""
    rule = kinds()[kind].get("state")
    if not rule:
        return None
    period = ""
    if kind in ("financial_result", "operating_metric") and metrics()[attributes["metric"]]["type"] == "flow":
        period = PERIOD_SUFFIX.get(precision, "")
    fields = {**{k: v for k, v in attributes.items() if isinstance(v, str)},
              "counterparty": counterparty or "unnamed", "period": period}
    if "{period_slug}" in rule["key"]:
        from .dates import slug
        fields["period_slug"] = slug(valid_from, valid_to, precision)
    key = rule["key"].format_map(fields)
    return f"{key}[{attributes['segment']}]" if attributes.get("segment") else key


def state_value(kind, attributes, counterparty):
    rule = kinds()[kind]["state"]
    source = rule["value"]
    value = counterparty if source == "counterparty" else attributes.get(source)
    if value is None and rule.get("default_from"):
        value = attributes.get(rule["default_from"])
    if value is None:
        value = rule.get("default")
    return value


def relation(kind):
    """(role of the counterparty for the entity, role of the entity for the counterparty)."""
    pair = kinds()[kind].get("relation")
    return tuple(pair) if pair else None
