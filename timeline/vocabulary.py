"""The vocabulary: kinds of event, their attributes, units and metrics, and the checks they imply.

Kinds, attributes and units are data (vocabulary.yml); so are the built-in
metrics (metrics.yml) and the metrics curators add (the `metrics` table, read
by `for_connection`).  A `Vocabulary` answers: is this kind known, are these
attributes right for it, what quantity does "155.6 million USD" mean, which
state key does an event set and with which value.

`builtin()` is the vocabulary every log starts with; the module-level
functions answer with it (for callers that have no database, such as the
drafter without --db).
"""
import functools
import json
import math
import re
from importlib import resources

import yaml

from .errors import TimelineError, did_you_mean

METRIC_KINDS = ("financial_result", "operating_metric", "guidance")
# kinds whose values are reported figures (metric_history); guidance is a forecast
REPORTED_KINDS = ("financial_result", "operating_metric")
PERIOD_SUFFIX = {"quarter": "/quarter", "half": "/half", "year": "/year", "month": "/month"}
UNIT_KINDS = ("currency", "per_share", "count", "percent", "points", "ratio", "physical")
METRIC_FIELDS = ("label", "unit", "type", "section", "chart", "opposite", "xbrl", "words", "description")
SECTIONS = ("financials", "operations")
# far beyond any reported figure (a quadrillion yen is 1e15), and still exact as
# a float, which is how projections and SQL compare amounts
MAX_AMOUNT = 10**18


def _read(name):
    # libyaml's C loader when PyYAML has it: the same safe constructors, several times faster
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(resources.files("timeline").joinpath(name).read_text(encoding="utf-8"), Loader=loader)


@functools.lru_cache(maxsize=1)
def builtin():
    """The vocabulary timeline ships: vocabulary.yml and metrics.yml."""
    metrics = {key: metric_spec(key, spec, builtin=True) for key, spec in _read("metrics.yml").items()}
    return Vocabulary(_read("vocabulary.yml"), metrics)


def for_connection(conn):
    """The built-in vocabulary with the metrics curators added to the log behind `conn`."""
    import sqlalchemy as sa
    from . import schema
    if not sa.inspect(conn).has_table("metrics"):
        return builtin()
    rows = [dict(r._mapping) for r in conn.execute(sa.select(schema.metrics).order_by(schema.metrics.c.id))]
    return builtin().with_metrics(rows) if rows else builtin()


def metric_spec(key, spec, builtin=False):
    """A metric definition with every field present (lists as lists, chart true unless false)."""
    found = {field: spec.get(field) for field in METRIC_FIELDS}
    for field in ("xbrl", "words"):
        value = found[field]
        found[field] = json.loads(value) if isinstance(value, str) else list(value or [])
    found["chart"] = found["chart"] is not False and found["chart"] != 0
    found["label"] = found["label"] or key.replace("_", " ").capitalize()
    found["description"] = found["description"] or found["label"]
    return {"key": key, **found, "builtin": builtin}


class Vocabulary:
    def __init__(self, data, metrics):
        self.kinds = data["kinds"]
        self.attributes = data["attributes"]
        self.units = data["units"]
        self.metrics = metrics
        self._counts = set(self.units["counts"])
        self._units_read = {}

    def with_metrics(self, rows):
        """This vocabulary and the curators' metrics `rows` (rows of the metrics table)."""
        metrics = dict(self.metrics)
        for row in rows:
            metrics[row["key"]] = metric_spec(row["key"], row)
        return Vocabulary({"kinds": self.kinds, "attributes": self.attributes, "units": self.units}, metrics)

    # ---- kinds and metrics ----

    def check_kind(self, kind):
        if kind not in self.kinds:
            raise TimelineError(f"unknown kind '{kind}'{did_you_mean(kind, self.kinds)}")
        return self.kinds[kind]

    def check_metric(self, metric):
        if metric not in self.metrics:
            raise TimelineError(f"unknown metric '{metric}'{self.suggest_metric(metric)} "
                                "(see `timeline metrics`; add one with `timeline metric add`)")
        return self.metrics[metric]

    def suggest_metric(self, text):
        """' — did you mean …?' for a metric named as documents name them ('operating loss')."""
        wanted = _fold(str(text).replace("_", " "))
        named = [key for key, spec in self.metrics.items()
                 if wanted in {_fold(key.replace("_", " ")), _fold(spec["label"]), *map(_fold, spec["words"])}]
        if named:
            return " — did you mean " + " or ".join(f"'{key}'" for key in named[:3]) + "?"
        return did_you_mean(str(text), self.metrics)

    def canonical(self, metric):
        """(the metric a figure is recorded under, its sign): net_loss is net_income, negated."""
        opposite = self.metrics.get(metric, {}).get("opposite")
        return (opposite, -1) if opposite else (metric, 1)

    def attributes_of(self, kind):
        spec = self.kinds[kind]
        return spec["required"] + spec.get("one_of", []) + spec["optional"]

    # ---- validating attributes ----

    def validate_attributes(self, kind, attributes):
        """The attributes, checked against the kind and normalised; raises one TimelineError naming
        every problem at once, with what the kind takes and an example."""
        spec = self.check_kind(kind)
        if attributes is None:
            attributes = {}
        if not isinstance(attributes, dict):
            raise TimelineError(f"attributes must be a mapping, not {type(attributes).__name__}")
        allowed = self.attributes_of(kind)
        problems, normalised = [], {}
        for name in attributes:
            if name not in allowed:
                problems.append(f"unknown attribute '{name}'{did_you_mean(name, allowed)}")
        for name in spec["required"]:
            if attributes.get(name) is None:
                problems.append(f"missing required attribute '{name}'")
        one_of = spec.get("one_of", [])
        if one_of and all(attributes.get(name) is None for name in one_of):
            problems.append(f"give at least one of {', '.join(one_of)}")
        for name, value in attributes.items():
            if value is None or name not in allowed:
                continue
            try:
                normalised[name] = self._normalise_value(name, self.attributes[name], value)
            except TimelineError as error:
                problems.append(error.message)
        if not problems and kind in METRIC_KINDS:
            problems += self._metric_units(normalised)
        if problems:
            raise TimelineError(f"{'; '.join(problems)} — {self.describe_kind(kind)}")
        return normalised

    def describe_kind(self, kind):
        """'financial_result takes metric (required), value|outcome|… (one at least), …; e.g. --attr …'"""
        spec = self.kinds[kind]
        parts = [f"{name} (required)" for name in spec["required"]]
        if spec.get("one_of"):
            parts.append(f"{'|'.join(spec['one_of'])} (one at least)")
        parts += spec["optional"]
        example = f"; e.g. {spec['example']}" if spec.get("example") else ""
        return f"{kind} takes {', '.join(parts) or 'no attributes'}{example}"

    def _metric_units(self, attributes):
        """Problems with the units of a metric's figures: revenue in currency, margins in percent…"""
        metric = self.metrics[attributes["metric"]]
        problems = []
        for name in ("value", "target"):
            quantity = attributes.get(name)
            if name == "target" and quantity and quantity["unit"] == "percent":
                continue  # a target is often a rate ("revenue up 20%", "40% of revenue from abroad")
            if quantity and not self.unit_fits(metric["unit"], quantity["unit"]):
                problems.append(f"{name} of {attributes['metric']} is in {quantity['unit']}, but {attributes['metric']} "
                                f"is measured in {UNIT_WORDS[metric['unit']]}")
        return problems

    def unit_fits(self, unit_kind, unit):
        # sources write points as a percentage ("growth over market of 2%")
        return (self.unit_kind(unit) == unit_kind or (unit_kind == "count" and unit in self._counts)
                or (unit_kind == "points" and unit == "percent"))

    def unit_kind(self, unit):
        """Which kind of unit `unit` (normalised) is: currency, per_share, count, percent, points, ratio, physical."""
        if unit in self.units["currencies"]:
            return "currency"
        if unit.endswith("/share") and unit[:-6] in self.units["currencies"]:
            return "per_share"
        if unit in self.units["ratios"]:
            return self.units["ratios"][unit]
        if unit in self.units["physical"]:
            return "physical"
        return "count"

    def _normalise_value(self, name, spec, value):
        kind = spec["type"]
        if kind == "quantity":
            return self.normalise_quantity(value, name)
        if kind == "metric":
            if not isinstance(value, str) or value not in self.metrics:
                raise TimelineError(f"unknown metric '{value}'{self.suggest_metric(value)}")
            return value
        if kind == "outcome":
            if value not in self.units["outcomes"]:
                raise TimelineError(f"attribute '{name}' must be one of {', '.join(self.units['outcomes'])}, not {_short(value)}")
            return value
        if kind == "text":
            if not isinstance(value, str) or not value.strip():
                raise TimelineError(f"attribute '{name}' must be non-empty text, not {_short(value)}")
            from .validation import checked_text
            return checked_text(value, f"attribute '{name}'", 2000)
        if kind == "number":
            if not is_finite_number(value):
                raise TimelineError(f"attribute '{name}' must be a finite number of at most 10^18, not {_short(value)}")
            return _tidy_number(value)
        if kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise TimelineError(f"attribute '{name}' must be a whole number, not {_short(value)}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise TimelineError(f"attribute '{name}' must be true or false, not {_short(value)}")
            return value
        if kind == "date":
            from .dates import DateError, parse_iso
            try:
                return parse_iso(value).isoformat()
            except (DateError, TypeError, AttributeError):
                raise TimelineError(f"attribute '{name}' must be an ISO date, not {_short(value)}") from None
        if kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise TimelineError(f"attribute '{name}' must be a list of text, not {_short(value)}")
            from .validation import checked_text
            return [checked_text(item, f"attribute '{name}'", 500) for item in value]
        raise AssertionError(f"vocabulary.yml: attribute type {kind!r} is not handled")

    # ---- units and quantities ----

    def normalise_unit(self, unit):
        if type(unit) is str:
            known = self._units_read.get(unit)  # an import reads the same few units once per row
            if known is None:
                known = self._normalise_unit(unit)
                if len(self._units_read) < 10000:
                    self._units_read[unit] = known
            return known
        return self._normalise_unit(unit)

    def _normalise_unit(self, unit):
        if not isinstance(unit, str):
            raise TimelineError(f"unit must be text, not {_short(unit)}")
        per_share = re.match(r"^(.+?)\s*(?:/|per)\s*(?:diluted\s+|ordinary\s+|ADS\s+)?shares?$", unit, re.IGNORECASE)
        if per_share:
            return f"{self._currency(per_share.group(1))}/share"
        if unit in self._counts or unit in self.units["ratios"] or unit in self.units["physical"]:
            return unit
        if unit == "%":
            return "percent"
        spelled = _UNIT_WORDS.get(" ".join(unit.split()).casefold())
        if spelled:
            return spelled
        return self._currency(unit)

    def _currency(self, unit):
        units = self.units
        if unit in units["currencies"]:
            return unit
        if unit in units["currency_aliases"]:
            return units["currency_aliases"][unit]
        if unit.upper() in units["currencies"]:
            return unit.upper()
        known = units["currencies"] + units["counts"] + list(units["ratios"]) + units["physical"] + list(units["currency_aliases"])
        raise TimelineError(f"unknown unit '{unit}'{did_you_mean(unit, known)}")

    def normalise_quantity(self, value, name):
        """A figure {amount, unit, qualifier?} or a range {low, high, unit, qualifier?, text?}, normalised."""
        if not isinstance(value, dict):
            raise TimelineError(f"attribute '{name}' must be a quantity {{amount, unit}} or a range {{low, high, unit}}, "
                                f"not {_short(value)}")
        shape = ("low", "high") if "low" in value or "high" in value else ("amount",)
        unknown = set(value) - {*shape, "unit", "qualifier", "text"}
        if unknown or ("text" in value and shape == ("amount",)):
            extra = sorted(map(str, unknown)) or ["text"]
            raise TimelineError(f"attribute '{name}' has unknown field(s) {', '.join(extra)}; a quantity has amount, "
                                "unit and qualifier, a range low, high, unit, qualifier and text")
        missing = [field for field in (*shape, "unit") if field not in value]
        if missing:
            raise TimelineError(f"attribute '{name}' needs {' and '.join(missing)}")
        quantity = {}
        for field in shape:
            if not is_finite_number(value[field]):
                raise TimelineError(f"attribute '{name}' {field} must be a finite number of at most 10^18, "
                                    f"not {_short(value[field])}")
            quantity[field] = _tidy_number(value[field])
        if shape != ("amount",) and quantity["low"] > quantity["high"]:
            raise TimelineError(f"attribute '{name}' range low {quantity['low']} is above high {quantity['high']}")
        quantity["unit"] = self.normalise_unit(value["unit"])
        if value.get("qualifier") is not None:
            qualifiers = self.units["qualifiers"]
            if value["qualifier"] not in qualifiers:
                raise TimelineError(f"attribute '{name}' has unknown qualifier {_short(value['qualifier'])}"
                                    f"{did_you_mean(value['qualifier'], qualifiers)}")
            quantity["qualifier"] = value["qualifier"]
        if value.get("text") is not None:
            if not isinstance(value["text"], str) or not value["text"].strip():
                raise TimelineError(f"attribute '{name}' text must be the range as written, not {_short(value['text'])}")
            quantity["text"] = value["text"]
        return quantity

    def parse_quantity(self, text):
        """A quantity from text: '155.6 million USD', 'RMB1.3 billion', '31%', 'over $1bn',
        '0.17 USD/share', or a range '43,000 to 48,000 vehicles', 'RMB 12.9–13.6 billion'."""
        text = " ".join(str(text).split())
        qualifier = None
        words = _QUALIFIER_WORDS.match(text)
        if words:
            qualifier, text = _QUALIFIERS[words["word"].lower()], text[words.end():]
        split = _RANGE.split(text, maxsplit=1)
        if len(split) == 2 and split[0].strip() and split[1].strip():
            low, high = self._parse_amount(split[0], text), self._parse_amount(split[1], text)
            unit = low[1] or high[1]
            if low[1] and high[1] and low[1] != high[1]:
                raise TimelineError(f"{text!r} gives two units, {low[1]!r} and {high[1]!r}")
            if not unit:
                raise TimelineError(f"{text!r} has no unit (add one: USD, CNY, percent, vehicles…)")
            # "RMB 12.9 to 13.6 billion": a scale written once counts for both ends
            low_amount = low[0] if low[2] else _scaled(low[0], high[2])
            high_amount = high[0] if high[2] else _scaled(high[0], low[2])
            quantity = {"low": _tidy_number(low_amount), "high": _tidy_number(high_amount),
                        "unit": self.normalise_unit(unit), "text": text}
        else:
            amount, unit, _ = self._parse_amount(text, text)
            if not unit:
                raise TimelineError(f"{text!r} has no unit (add one: USD, CNY, percent, vehicles…)")
            quantity = {"amount": _tidy_number(amount), "unit": self.normalise_unit(unit)}
        if qualifier:
            quantity["qualifier"] = qualifier
        return self.normalise_quantity(quantity, "value")

    def _parse_amount(self, part, whole):
        """(amount scaled, unit or None, scale factor or None) of one figure of a quantity text."""
        match = _QUANTITY.match(part)
        if not match:
            raise TimelineError(f"cannot read {whole!r} as a quantity (try '155.6 million USD', '31%' "
                                "or '43,000 to 48,000 vehicles')")
        prefix, unit = match["prefix"], match["unit"]
        if prefix and unit and not unit.lower().startswith(("/", "per")):
            raise TimelineError(f"{whole!r} gives two units, {prefix!r} and {unit!r}")
        if prefix and unit:
            unit = prefix + unit
        unit = "percent" if unit == "%" else (unit or prefix)
        digits = match["amount"].replace(",", "")
        negative = digits.startswith("(") or {match["sign"], match["sign_after"]} & {"-", "−", "–"}
        digits = digits.strip("()")
        if len(digits.replace(".", "")) > 40:
            raise TimelineError(f"{whole!r}: the number has more than 40 digits")
        amount = float(digits) if "." in digits else int(digits)
        scale = self.units["scales"][match["scale"].lower()] if match["scale"] else None
        return (-amount if negative else amount) if scale is None else _scaled(-amount if negative else amount, scale), unit, scale

    def parse_attribute_option(self, option, kind):
        """{name: value} from a CLI `--attr key=value`, typed by the vocabulary.

        A metric name is shorthand on metric kinds: `revenue=155.6 million USD`
        means metric=revenue, value=155600000 USD (a target for guidance).
        """
        if "=" not in option:
            raise TimelineError(f"--attr {option!r} must look like key=value")
        name, _, text = option.partition("=")
        name, text = name.strip(), text.strip()
        if kind in METRIC_KINDS and name in self.metrics:
            value_name = "target" if kind == "guidance" else "value"
            return {"metric": name, value_name: self.parse_quantity(text)}
        definition = self.attributes.get(name)
        if definition is None:
            allowed = self.attributes_of(kind) if kind in self.kinds else list(self.attributes)
            hint = did_you_mean(name, allowed)
            if not hint and kind in METRIC_KINDS:
                hint = self.suggest_metric(name)
            raise TimelineError(f"unknown attribute '{name}' for kind '{kind}'{hint}")
        kind_of_value = definition["type"]
        if kind_of_value == "quantity":
            return {name: self.parse_quantity(text)}
        if kind_of_value in ("number", "integer"):
            try:
                return {name: int(text) if kind_of_value == "integer" else _tidy_number(float(text))}
            except ValueError:
                raise TimelineError(f"--attr {name}: {text!r} is not a number") from None
        if kind_of_value == "boolean":
            return {name: text.lower() in ("true", "yes", "1")}
        if kind_of_value == "list":
            return {name: [part.strip() for part in text.split(",") if part.strip()]}
        if kind_of_value == "outcome":
            return {name: text.replace(" ", "_")}
        return {name: text}

    # ---- how events shape state and relationships ----

    def state_key(self, kind, attributes, counterparty, valid_from, valid_to, precision):
        """The entity-state key an event sets, or None for kinds without state."""
        rule = self.kinds[kind].get("state")
        if not rule:
            return None
        fields = {**{k: v for k, v in attributes.items() if isinstance(v, str)},
                  "counterparty": counterparty or "unnamed", "period": ""}
        if kind in METRIC_KINDS:
            fields["metric"] = self.canonical(attributes["metric"])[0]
            if kind in REPORTED_KINDS and self.metrics.get(fields["metric"], {}).get("type") == "flow":
                fields["period"] = PERIOD_SUFFIX.get(precision, "")
        if "{period_slug}" in rule["key"]:
            from .dates import slug
            fields["period_slug"] = slug(valid_from, valid_to, precision)
        key = rule["key"].format_map(fields)
        if kind in REPORTED_KINDS and attributes.get("value") is None and attributes.get("outcome") is None:
            key += "/change"  # a change without a level is not the level
        qualified = series(attributes) if kind in METRIC_KINDS else attributes.get("segment")
        return f"{key}[{qualified}]" if qualified else key

    def state_value(self, kind, attributes, counterparty):
        """The value an event gives its state key: a quantity (signed for a loss), an outcome, a change, text."""
        rule = self.kinds[kind]["state"]
        if kind in REPORTED_KINDS:
            _, sign = self.canonical(attributes["metric"])
            if attributes.get("value") is not None:
                return _signed(attributes["value"], sign)
            if attributes.get("outcome") is not None:
                return {"outcome": attributes["outcome"]}
            return {name: attributes[name] for name in ("change_yoy", "change_qoq") if attributes.get(name)}
        source = rule["value"]
        value = counterparty if source == "counterparty" else attributes.get(source)
        if value is None and rule.get("default_from"):
            value = attributes.get(rule["default_from"])
        if value is None:
            value = rule.get("default")
        return value

    def relation(self, kind):
        """(role of the counterparty for the entity, role of the entity for the counterparty)."""
        pair = self.kinds[kind].get("relation")
        return tuple(pair) if pair else None

    def outcome_words(self, outcome):
        return self.units["outcomes"].get(outcome, str(outcome).replace("_", " "))


def series(attributes):
    """What part of a metric a figure covers: its segment, product and market ('' for the whole)."""
    return ", ".join(attributes[name] for name in ("segment", "product", "market") if attributes.get(name))


UNIT_WORDS = {"currency": "a currency (USD, CNY…)", "per_share": "a currency per share (USD/share)",
              "count": "a count (vehicles, units, customers…)", "percent": "percent",
              "points": "percentage points", "ratio": "a multiple (times)", "physical": "a physical unit (GWh, kW…)"}


def _signed(quantity, sign):
    if sign == 1:
        return quantity
    if "amount" in quantity:
        return {**quantity, "amount": -quantity["amount"]}
    return {**quantity, "low": -quantity["high"], "high": -quantity["low"]}


def _fold(text):
    return " ".join(str(text).split()).casefold()


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


def _scaled(amount, scale):
    if not scale:
        return amount
    # 155.6 * 1e6 is 155599999.99999997 in binary; the source meant 155600000
    return round(amount * scale, 6)


# ---- quantities written by people ----

_QUANTITY = re.compile(
    r"""^\s*(?P<sign>[-+−–])?\s*(?P<prefix>US\$|HK\$|C\$|CA\$|\$|€|£|¥|RMB|USD|CNY|EUR|GBP|HKD|CAD|SEK|JPY)?\s*
        (?P<sign_after>[-+−–])?\s*(?P<amount>\(?\d[\d,]*(?:\.\d+)?\)?)\s*
        (?:(?P<scale>thousand|million|billion|trillion|bn|mn|k|m|b)(?![A-Za-z]))?\s*
        (?P<unit>%|(?:/|per\s)\s*(?:diluted\s|ordinary\s|ADS\s)?shares?
                |[A-Za-z_$€£¥]+(?:\s*(?:/|per)\s*(?:diluted\s+|ordinary\s+|ADS\s+)?shares?|\s+points?)?)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# units as documents spell them
_UNIT_WORDS = {"percentage points": "percentage_points", "percentage point": "percentage_points", "pp": "percentage_points",
               "ppt": "percentage_points", "basis points": "basis_points", "basis point": "basis_points",
               "bp": "basis_points", "bps": "basis_points", "oems": "oems", "vehicle": "vehicles", "unit": "units",
               "store": "stores", "station": "stations", "city": "cities", "country": "countries"}
_RANGE = re.compile(r"\s+to\s+|(?<=[\d%])\s*[–—]\s*|(?<=[\d%])\s*-\s*(?=[$€£¥\d]|US\$|RMB)")
_QUALIFIERS = {"over": "over", "more than": "over", "above": "over", "under": "under", "below": "under",
               "less than": "under", "about": "about", "around": "about", "approximately": "about",
               "roughly": "about", "at least": "at_least", "at most": "at_most", "up to": "up_to",
               "close to": "close_to", "nearly": "nearly", "almost": "nearly"}
_QUALIFIER_WORDS = re.compile(r"^(?P<word>" + "|".join(sorted(map(re.escape, _QUALIFIERS), key=len, reverse=True))
                              + r")\s+", re.IGNORECASE)


# ---- the built-in vocabulary, for callers without a database ----

def load():
    """vocabulary.yml as data, with the built-in metrics under 'metrics'."""
    vocabulary = builtin()
    return {"kinds": vocabulary.kinds, "attributes": vocabulary.attributes, "units": vocabulary.units,
            "metrics": vocabulary.metrics}


def kinds():
    return builtin().kinds


def metrics():
    return builtin().metrics


def check_kind(kind):
    return builtin().check_kind(kind)


def check_metric(metric):
    return builtin().check_metric(metric)


def validate_attributes(kind, attributes):
    return builtin().validate_attributes(kind, attributes)


def normalise_unit(unit):
    return builtin().normalise_unit(unit)


def normalise_quantity(value, name):
    return builtin().normalise_quantity(value, name)


def parse_quantity(text):
    return builtin().parse_quantity(text)


def parse_attribute_option(option, kind):
    return builtin().parse_attribute_option(option, kind)


def state_key(kind, attributes, counterparty, valid_from, valid_to, precision):
    return builtin().state_key(kind, attributes, counterparty, valid_from, valid_to, precision)


def state_value(kind, attributes, counterparty):
    return builtin().state_value(kind, attributes, counterparty)


def relation(kind):
    return builtin().relation(kind)
