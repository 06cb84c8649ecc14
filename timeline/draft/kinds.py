"""Per kind: who the event is about and which attributes the sentence gives it.

`choose_entities` picks the entity (the first company or "we" named before the
fact's wording) and, for relations, the counterparty (the next company named).
Each builder fills the attributes its kind takes in vocabulary.yml from the
sentence's amounts and mentions, and returns False when the sentence lacks what
the kind needs (a launch without a product, a certification without a standard).
"""
import re

from . import rules
from .mentions import SUBJECT_TYPES, Mention


# ---- entities ----

OPENING_PHRASE = re.compile(r"(?:Beyond|For|In|With|After|Following|Unlike|Besides|Apart from|Outside(?: of)?|Despite|"
                            r"Across|Among|Through|Under|Like|As for|In addition to|Compared (?:to|with)|Alongside)\b[^,]*,")


def choose_entities(reading, sentence, markets_ok=False):
    """The entity: the first company (or 'we') named before the fact's wording, else the first named
    at all, else the default; the counterparty: the next company named, for relations."""
    index, default, text = sentence.index, sentence.default, sentence.text
    subject_types = SUBJECT_TYPES + (("market",) if markets_ok else ())
    mentions = [m for m in sentence.mentions if reading.kind == "listing" or not _inside_ticker(m, text)]
    subjects = [m for m in mentions if (m.pronoun or m.type in subject_types) and not _in_opening_phrase(m, text)]
    before = [m for m in subjects if m.start < reading.start]
    entity = (before or subjects or [None])[0]
    if not before and default and reading.kind in rules.RELATIONAL_KINDS and reading.kind not in ("leadership", "founding"):
        entity = None  # "Discussions are underway with Globex": the other party is named, "we" are implied
    if entity is None and default:
        entity = sentence.implicit(default)
    if entity is None:
        products = [m for m in mentions if m.type in ("product", "facility")]
        owner = _owner(products[0].key, index) if products else None
        entity = Mention(owner, products[0].text, products[0].start, products[0].end, index.type_of(owner)) if owner else None
    reading.entity = entity
    if entity is not None and reading.kind in rules.RELATIONAL_KINDS and reading.counterparty is None:
        others = [m for m in mentions if m.key != entity.key and not m.pronoun and m.type in subject_types
                  and not _related(m.key, entity.key, index)]
        after = [m for m in others if m.start >= reading.start]
        reading.counterparty = (after or others or [None])[0]


def _in_opening_phrase(mention, text):
    """"Beyond the Geely ecosystem, discussions are underway with FAW": Geely is not the subject."""
    opening = OPENING_PHRASE.match(text)
    return bool(opening) and mention.end <= opening.end()


def _inside_ticker(mention, text):
    """"(Nasdaq: ECX)" names an exchange, not a party to the fact."""
    return any(t.start() <= mention.start and mention.end <= t.end() for t in rules.EXCHANGE_TICKER.finditer(text))


def _is_vehicle(mention, sentence):
    """A product of a car brand, or one written next to a vehicle word, is a vehicle; other
    companies' products (a chip, an AI model, an app suite) are not."""
    owner = sentence.index.parent_of(mention.key)
    if owner and sentence.index.type_of(owner) == "brand":
        return True
    near = sentence.text[max(0, mention.start - 40):mention.end + 40]
    return bool(rules.VEHICLE_WORDS.search(near))


def _owner(key, index):
    """The company or brand a product or facility belongs to."""
    seen = set()
    while key and key not in seen:
        seen.add(key)
        if index.type_of(key) in SUBJECT_TYPES:
            return key
        key = index.parent_of(key)
    return None


def _owned_by(mention, entity, index):
    """Whether the product `mention` belongs to `entity` (directly or through its brands)."""
    return entity is not None and (_owner(mention.key, index) == entity or _ancestor(mention.key, entity, index))


def _related(key, other, index):
    """Whether one entity is the other's product, facility or brand (not a second party)."""
    return _ancestor(key, other, index) or _ancestor(other, key, index)


def _ancestor(key, ancestor, index):
    seen = set()
    key = index.parent_of(key)
    while key and key not in seen:
        if key == ancestor:
            return True
        seen.add(key)
        key = index.parent_of(key)
    return False


def _prefer_default(reading, sentence):
    """Supplier-side kinds (customer, design or contract win): the document's company is the
    supplier when it is named, the other party the customer."""
    default, index = sentence.default, sentence.index
    named_default = [m for m in sentence.mentions if default and m.key == default]
    others = [m for m in sentence.mentions if m.key != default and not m.pronoun and m.type in SUBJECT_TYPES
              and not (default and _related(m.key, default, index))]
    if named_default:
        reading.entity = named_default[0]
        after = [m for m in others if m.start >= reading.start]  # the party named after the wording first
        reading.counterparty = (after or others or [None])[0] or _vehicle_owner(sentence, default) or reading.counterparty


def _vehicle_owner(sentence, supplier):
    """A product of another company named in the sentence ("the Volvo EX30"): that company."""
    index = sentence.index
    for mention in sentence.products():
        owner = _owner(mention.key, index)
        if owner and owner != supplier and not (supplier and _related(owner, supplier, index)):
            return Mention(owner, mention.text, mention.start, mention.end, index.type_of(owner))
    return None


def _products_and_vehicles(reading, sentence):
    """The entity's own products become `product`; other makers' vehicles `vehicle`."""
    entity = reading.entity.key if reading.entity else None
    for product in sentence.products():
        if _owned_by(product, entity, sentence.index):
            reading.attributes.setdefault("product", sentence.index.name_of(product.key))
        elif _is_vehicle(product, sentence):
            reading.attributes.setdefault("vehicle", sentence.index.name_of(product.key))


# ---- per-kind attributes: each returns False when the sentence lacks what the kind needs ----

def _investment(reading, sentence):
    text = sentence.text
    for amount in sentence.amounts:
        per_share = re.match(r"\s*(?:per|a|each) (?:ordinary |common )?share\b", text[amount.end:])
        if amount.kind == "money" and per_share:
            reading.attributes.setdefault("price_per_share", amount.quantity())
        elif amount.kind == "money":
            reading.attributes.setdefault("amount", amount.quantity())
        elif amount.unit == "shares":
            reading.attributes.setdefault("shares", amount.quantity())
        elif amount.kind == "percent" and re.search(r"\b(?:stake|interest|equity)\b", text[amount.end:amount.end + 30], re.I):
            reading.attributes.setdefault("stake", amount.quantity())
        else:
            continue
        reading.used.append(amount)
    _set_status(reading, text)
    choose_entities(reading, sentence)
    return reading.counterparty is not None or bool(reading.used)


def _funding(reading, sentence):
    money = [a for a in sentence.amounts if a.kind == "money"]
    if not money:
        return False
    reading.attributes["amount"] = money[0].quantity()
    reading.used.append(money[0])
    _set_status(reading, sentence.text)
    return True


def _acquisition(reading, sentence):
    money = [a for a in sentence.amounts if a.kind == "money"]
    if money:
        reading.attributes["amount"] = money[0].quantity()
        reading.used.append(money[0])
    _set_status(reading, sentence.text)
    return True


def _contract(reading, sentence):
    text = sentence.text
    for amount in sentence.amounts:
        if amount.kind != "money":
            continue
        lifetime = re.search(r"\blifetime\b", text[max(0, amount.start - 60):amount.start], re.I)
        reading.attributes.setdefault("lifetime_revenue" if lifetime else "amount", amount.quantity())
        reading.used.append(amount)
    customer = rules.CUSTOMER_TYPE.search(text, reading.end)
    if customer and not any(m.start < customer.end() and customer.start() < m.end for m in sentence.mentions if not m.pronoun):
        reading.attributes["customer_type"] = customer["type"].strip()
    choose_entities(reading, sentence)
    _prefer_default(reading, sentence)
    return True


WON = re.compile(r"\b(?:secured|won|wins|achieved|received|added|landed|announced|awarded|new|signed|with)\b", re.IGNORECASE)


def _design_win(reading, sentence):
    _contract(reading, sentence)
    reading.attributes.pop("amount", None)
    _products_and_vehicles(reading, sentence)
    # "after a design win" in general is how the business works, not a win: it needs a party or a winning verb
    won = WON.search(sentence.text[max(0, reading.start - 40):reading.end + 6])
    return bool(won or reading.counterparty is not None or "customer_type" in reading.attributes or sentence.mentions
                and any(m.type == "product" for m in sentence.mentions))


def _certification(reading, sentence):
    standards = rules.STANDARD.findall(sentence.text)
    if not standards:
        return False
    reading.attributes["standard"] = standards[0].strip()
    level = rules.LEVEL.search(sentence.text)
    if level:
        reading.attributes["level"] = level.group()
    if len(standards) > 1:
        names = ", ".join(s.strip() for s in standards)
        reading.remarks.append(f"the sentence names {len(standards)} standards ({names}): one event each?")
    return True


def _facility(reading, sentence):
    text = sentence.text
    found = rules.FACILITY.search(text, reading.start)
    if not found:
        return False
    reading.attributes["facility"] = re.sub(r"^(?:its|our|the|a|an)\s+", "", found["facility"].strip(), flags=re.I)
    location = found["location"] or _location(text, found.end())
    if location:
        reading.attributes["location"] = location
    stage = "start of production" if re.search(r"\bproduction\b", reading.words, re.I) else "opened"
    if re.search(r"\b(?:will|plan(?:s|ned)? to|to open)\b", text, re.I):
        stage = "planned"
    reading.attributes["stage"] = stage
    return True


def _location(text, start):
    found = rules.LOCATION.search(text, start)
    return found["location"] if found and found.start() - start < 40 else None


def _headquarters(reading, sentence):
    location = _location(sentence.text, reading.start)
    if not location:
        return False
    reading.attributes["location"] = location
    return True


def _award(reading, sentence):
    name = rules.AWARD_NAME.search(sentence.text)
    if not name:
        return False
    reading.attributes["award"] = re.sub(r"^the ", "", name["award"].strip())
    choose_entities(reading, sentence)
    if reading.counterparty is not None:
        reading.attributes["issuer"] = sentence.index.name_of(reading.counterparty.key)
    return True


def _launch(reading, sentence):
    index, default = sentence.index, sentence.default
    choose_entities(reading, sentence)
    products = sentence.products()
    if not products:
        return _unnamed_launch(reading, sentence)
    if default and any(_owner(m.key, index) == default for m in products):
        # the document's company launches its product in someone's car: it is the entity,
        # the car is the vehicle and the carmaker the counterparty
        named = [m for m in sentence.mentions if m.key == default]
        reading.entity = named[0] if named else sentence.implicit(default)
    elif reading.entity is not None and reading.entity.start < 0 and _owner(products[0].key, index):
        # nobody named launches someone else's product: its maker does
        owner = _owner(products[0].key, index)
        reading.entity = Mention(owner, products[0].text, products[0].start, products[0].end, index.type_of(owner))
    entity = reading.entity.key if reading.entity else default
    own = [m for m in products if _owned_by(m, entity, index)]
    theirs = [m for m in products if m not in own]
    reading.attributes["product"] = index.name_of((own or products)[0].key)
    if own and theirs and _is_vehicle(theirs[0], sentence):
        reading.attributes["vehicle"] = index.name_of(theirs[0].key)
        owner = _owner(theirs[0].key, index)
        if owner and owner != entity:
            reading.counterparty = Mention(owner, theirs[0].text, theirs[0].start, theirs[0].end, index.type_of(owner))
    for pattern, stage in rules.LAUNCH_STAGE:
        if pattern.search(sentence.text):
            reading.attributes["stage"] = stage
            break
    return True


NOT_A_THING = {"it", "them", "this", "that", "these", "those", "over", "both", "globally", "later", "soon", "next", "last",
               "in", "on", "at", "to", "for", "with", "by", "from", "and", "successfully", "recently", "already", "new",
               "earlier", "today", "here", "there", "worldwide", "again", "so", "as", "into", "across", "more", "several"}
LAUNCHED_THING = re.compile(r"^\s*(?:the |a |an |its |our |their )?(?P<thing>(?:[\w&+-]+ ){0,5}?[\w&+-]+?)"
                            r"(?=\s*(?:[,.;:(]|\s(?:in|on|at|to|for|with|by|from|and|which|that|this|next|across)\b|$))")


def _unnamed_launch(reading, sentence):
    """A launch or start of production whose product the registry does not know: the words after the
    verb ("will launch driverless robotaxi services in 2026"), else none named (the curator names it)."""
    text = sentence.text
    verb = re.search(r"\b(?:launch|launched|launching|introduced|introduces|unveiled|unveils|debuted)$", reading.words, re.I)
    after = LAUNCHED_THING.match(text[reading.end:]) if verb else None
    thing = after["thing"].strip() if after else ""
    first = thing.split(" ")[0].lower() if thing else ""
    if thing and first not in NOT_A_THING and not re.fullmatch(r"\w{1,2}", thing):
        reading.attributes["product"] = thing
        reading.doubts.append(f"the product is the words after '{reading.words}', not a registry name")
    elif re.search(r"\bproduction\b", reading.words, re.I):
        reading.attributes["product"] = "(not named in the sentence)"
        reading.doubts.append("the sentence does not name the product: name it from the context")
        reading.remarks.append("the product is not named in the sentence: name it (see the sentences before)")
    else:
        return False
    for pattern, stage in rules.LAUNCH_STAGE:
        if pattern.search(text):
            reading.attributes["stage"] = stage
            break
    return True


def _partnership(reading, sentence):
    _set_status(reading, sentence.text)
    scope = rules.SCOPE.search(sentence.text, reading.start)
    if scope:
        reading.attributes["scope"] = scope["scope"].strip()
    return True


def _customer(reading, sentence):
    choose_entities(reading, sentence)
    _prefer_default(reading, sentence)
    if reading.counterparty is None and reading.entity is not None:
        reading.counterparty = _vehicle_owner(sentence, reading.entity.key)
    _products_and_vehicles(reading, sentence)
    return True


def _leadership(reading, sentence):
    text = sentence.text
    role = rules.ROLE.search(text, max(0, reading.start - 1)) or rules.ROLE.search(text)  # this match's role
    lower = rules.ROLE_LOWER.search(text)
    before = rules.PERSON_BEFORE_ROLE.search(text[:lower.start()]) if lower else None
    if lower and before and (not role or lower.start() < role.start()):
        role = lower  # "Kevin Clark, chairman and chief executive officer"
    if not role:
        return False
    people = [m for m in sentence.mentions if m.type == "person"]
    if people:
        # "Chief Operating Officer, Peter Cirino": the name right after the role first, else the nearest
        right_after = [m for m in people if 0 <= m.start - role.end() <= 3]
        reading.counterparty = (right_after or [min(people, key=lambda m: abs(m.start - role.start()))])[0]
    else:
        named = rules.PERSON_NAME.search(text)
        if role is lower and before:
            reading.attributes["person"] = before["name"]
        elif not named:
            return False
        else:
            reading.attributes["person"] = named["name"] or named["said"]
    reading.attributes["role"] = re.sub(r"\s+", " ", role.group("role") if role is lower else role.group())
    companies = [m for m in sentence.mentions if m.type in SUBJECT_TYPES or m.pronoun]
    after_role = [m for m in companies if m.start >= role.end() and m.start - role.end() <= 40]
    reading.entity = (after_role or companies or [None])[0]
    if reading.entity is None and sentence.default:
        reading.entity = sentence.implicit(sentence.default)
    reading.start, reading.end, reading.words = role.start(), role.end(), re.sub(r"\s+", " ", role.group())
    return True


def _listing(reading, sentence):
    text = sentence.text
    ticker = rules.EXCHANGE_TICKER.search(text)
    if ticker:
        exchange = ticker["exchange"]
        reading.attributes["exchange"] = exchange.upper() if exchange.lower() == "nasdaq" else exchange
        reading.attributes["ticker"] = ticker["ticker"]
        named = [m for m in sentence.mentions if not m.pronoun and m.end <= ticker.start() and m.type in SUBJECT_TYPES]
        if named:
            reading.entity = named[-1]  # the company written just before its ticker
        return True
    listed = re.search(r"listed on (?:the )?(?P<exchange>Nasdaq|NYSE|New York Stock Exchange|Hong Kong Stock Exchange|"
                       r"London Stock Exchange)", text)
    if not listed:
        return False
    reading.attributes["exchange"] = listed["exchange"]
    return True


def _ownership(reading, sentence):
    stake = [a for a in sentence.amounts if a.kind == "percent"]
    if stake:
        reading.attributes["stake"] = stake[0].quantity()
        reading.used.append(stake[0])
    choose_entities(reading, sentence)
    # "X is the majority owner of Y", "a group that includes Y": the owned is the event's entity
    owner_first = re.search(r"\b(?:owner|shareholder|parent|group|empire|portfolio|arm)\b", reading.words, re.I)
    if owner_first and reading.counterparty is not None and reading.entity is not None and not re.search(
            r"\bowned by|subsidiary of\b", reading.words, re.I):
        reading.entity, reading.counterparty = reading.counterparty, reading.entity
    return True


def _founding(reading, sentence):
    choose_entities(reading, sentence)
    people = [m for m in sentence.mentions if m.type == "person"]
    if people:
        companies = [m for m in sentence.mentions if m.type in SUBJECT_TYPES]
        later = [m for m in companies if m.start > reading.start]
        if later or companies:
            reading.entity = (later or companies)[0]  # "X, the founder of Geely, co-founded ECARX": ECARX
        reading.counterparty = people[0]
    return True


def _set_status(reading, text):
    for pattern, status in rules.STATUS_WORDS:
        if pattern.search(text):
            reading.attributes["status"] = status
            return


BUILDERS = {
    "investment": _investment, "funding": _funding, "acquisition": _acquisition, "contract_win": _contract,
    "design_win": _design_win, "certification": _certification, "facility_opening": _facility,
    "headquarters": _headquarters, "award": _award, "launch": _launch, "partnership": _partnership,
    "customer": _customer, "leadership": _leadership, "listing": _listing, "ownership": _ownership,
    "founding": _founding,
}
