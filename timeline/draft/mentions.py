"""Entity mentions: which registry entities a sentence names, and where.

The registry's keys, names and aliases are matched as whole words, longest first
("Lotus Tech" before "Lotus", "Geely Galaxy A7" before "Geely").  Registry
lookups are case-insensitive, but running text is not a lookup: "US" the
country is not "us" the pronoun and "smart" the brand is not "smart cockpit",
so a mention must be written as a proper noun (capitalised, or in the alias's
own case), and short all-capital aliases (tickers: "LOT", "GAS") only match
exactly.

"We", "our", "the company" name the document's own company: the caller's
default entity (`--entity`).

Where the registry comes from (see `load_index`): the database given by the
global `--db` when that database exists and holds entities, else
`events/entities.yml` when present, else nothing (then `--entity` is the only
entity a draft can name).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import TimelineError, did_you_mean
from ..registry import fold

# "its" is left out: it as often means a product or another company as the document's own
PRONOUNS = re.compile(r"\b(?:[Ww]e|[Oo]ur|us|ours|[Tt]he [Cc]ompany(?:'s|’s)?|the [Gg]roup)\b|我們|我们|本公司")
SUBJECT_TYPES = ("company", "brand", "organization")


@dataclass(frozen=True)
class Mention:
    key: str
    text: str
    start: int
    end: int
    type: str
    pronoun: bool = False


class EntityIndex:
    """The registry as drafting needs it: entities by key, and a pattern of every name."""

    def __init__(self, entities):
        """`entities`: dicts with key, name, type, parent, fiscal_year_end and aliases."""
        self.entities = {e["key"]: dict(e) for e in entities}
        self.names = []  # (name as written, key)
        for entity in self.entities.values():
            for name in {entity["key"], entity["name"], *map(str, entity.get("aliases") or [])}:
                if name and name.strip():
                    self.names.append((name.strip(), entity["key"]))
        self._by_fold = {}
        for name, key in self.names:
            self._by_fold.setdefault(fold(name), set()).add(key)
        self._pattern = _names_pattern({name for name, _ in self.names})
        self._exact = {}
        for name, key in self.names:
            self._exact.setdefault(name, set()).add(key)

    def __bool__(self):
        return bool(self.entities)

    def resolve(self, name, role="entity"):
        """The key of the entity called `name` (key, name or alias, any case)."""
        if name in self.entities:
            return name
        keys = self._by_fold.get(fold(name), set())
        if len(keys) == 1:
            return next(iter(keys))
        if len(keys) > 1:
            raise TimelineError(f"{role} '{name}' is ambiguous: it names {', '.join(sorted(keys))}; use the key")
        raise TimelineError(f"unknown {role} '{name}'{did_you_mean(fold(name), self._by_fold)}"
                            + ("" if self.entities else " (the entity registry is empty: give --db or events/entities.yml)"))

    def type_of(self, key):
        return self.entities.get(key, {}).get("type", "company")

    def name_of(self, key):
        return self.entities.get(key, {}).get("name", key)

    def parent_of(self, key):
        return self.entities.get(key, {}).get("parent")

    def fiscal_year_end(self, key):
        return self.entities.get(key, {}).get("fiscal_year_end") or "12-31"

    def mentions(self, sentence, default=None):
        """Entities named in `sentence`, in order; pronouns become `default` when given."""
        found = []
        if self._pattern is not None:
            for match in self._pattern.finditer(sentence):
                key = self._key_for(match.group())
                if key:
                    found.append(Mention(key, match.group(), match.start(), match.end(), self.type_of(key)))
        if default:
            taken = [(m.start, m.end) for m in found]
            for match in PRONOUNS.finditer(sentence):
                if not any(s < match.end() and match.start() < e for s, e in taken):
                    found.append(Mention(default, match.group(), match.start(), match.end(), self.type_of(default), True))
        return sorted(found, key=lambda m: m.start)

    def _key_for(self, written):
        """The entity a name written in running text refers to, or None if it is not a proper mention."""
        if not _written_as_proper_noun(written):
            return None  # "smart cockpit", "a lot": common words, whatever the registry calls its brands
        exact = self._exact.get(written)
        if exact and len(exact) == 1:
            return next(iter(exact))
        if exact:
            return None  # ambiguous: several entities go by exactly this name
        keys = self._by_fold.get(fold(written), set())
        if len(keys) != 1:
            return None
        key = next(iter(keys))
        short_capitals = [n for n, k in self.names if k == key and fold(n) == fold(written) and len(n) <= 4 and n.isupper()]
        return None if short_capitals else key


def _names_pattern(names):
    """One pattern for every name, the longest match first, built as a trie of the folded names
    so that matching costs about the same at every position however many names there are (an
    alternation of hundreds of names is tried name by name at each character of the text)."""
    if not names:
        return None
    plain = [n for n in names if not re.search(r"[\u3400-\u9fff]", n) and re.match(r"\w", n)]
    other = sorted(set(names) - set(plain), key=len, reverse=True)
    trie = {}
    for name in plain:
        node = trie
        for token in _tokens(name):
            node = node.setdefault(token, {})
        node[""] = True  # a name ends here
    parts = []
    if trie:
        parts.append(r"(?<![A-Za-z0-9])(?:" + _trie_pattern(trie) + ")")
    parts.extend(_name_pattern(name) for name in other)
    return re.compile("|".join(parts), re.IGNORECASE)


def _tokens(name):
    """A name as the pieces a pattern matches: lower-case characters, any run of spaces as one."""
    tokens = []
    for piece in re.split(r"(\s+)", name.lower()):
        if piece and piece.isspace():
            tokens.append(" ")
        else:
            tokens.extend(piece)
    return tokens


def _trie_pattern(node, last=""):
    """The alternatives below `node` (reached by the token `last`), deeper ones first, so the
    longest name wins; where a name ends, the boundary its last character needs."""
    branches = []
    for token, child in sorted((t, c) for t, c in node.items() if t):
        piece = r"\s+" if token == " " else re.escape(token)
        branches.append(piece + _trie_pattern(child, token))
    if "" in node:
        branches.append(_end(last))  # a name ends here (tried after the longer ones)
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def _end(last):
    """After a name ending in a letter or digit no letter, digit or "$" may follow ("US$" is no US)."""
    return r"(?![A-Za-z0-9$])" if re.match(r"\w", last) else ""


def _name_pattern(name):
    escaped = re.escape(name).replace(r"\ ", r"\s+")
    if re.search(r"[\u3400-\u9fff]", name):
        return escaped  # Chinese has no word boundaries
    # boundaries are Latin letters and digits only: "與Globex合作" names Globex ("與" is a \w too)
    before = r"(?<![A-Za-z0-9])" if re.match(r"\w", name) else ""
    after = r"(?![A-Za-z0-9$])" if re.search(r"\w$", name) else ""  # "US$" is a currency, not the US
    return f"{before}{escaped}{after}"


def _written_as_proper_noun(written):
    """Capitalised ("Acme"), not a letter ("#5"), another script, or camel case ("iPhone")."""
    first = written.lstrip()[:1]
    return not first.isalpha() or first.isupper() or not first.isascii() or any(c.isupper() for c in written)


# ---- where the registry comes from ----

def load_index(db=None, entities_file="events/entities.yml"):
    """The registry from the database `db` if it exists and holds entities, else `entities_file`."""
    rows = _from_database(db) if db else None
    if rows:
        return EntityIndex(rows), f"database {db}"
    path = Path(entities_file)
    if path.is_file():
        return EntityIndex(_from_file(path)), str(path)
    return EntityIndex([]), None


def _from_database(db):
    from .. import database, queries
    try:
        engine = database.connect(db, must_exist=True)
    except TimelineError:
        return None  # no database there: fall back to entities.yml
    import sqlalchemy as sa
    try:
        with engine.connect() as conn:
            return [entity.to_dict() for entity in queries.entities(conn)]
    except sa.exc.SQLAlchemyError:
        return None  # an uninitialised file, or another program's database
    finally:
        engine.dispose()


def known_sources(db, sha256):
    """Keys of the sources in the database `db` that cite the document whose digest is `sha256`
    ([] when there is no such database)."""
    if not db or not sha256:
        return []
    from .. import database, schema
    try:
        engine = database.connect(db, must_exist=True)
    except TimelineError:
        return []
    import sqlalchemy as sa
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(sa.select(schema.sources.c.key)
                                       .where(schema.sources.c.sha256 == sha256)).scalars().all())
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def _from_file(path):
    from .. import bundles, validation
    bundle = bundles.read_file(path)
    rows = []
    for index, raw in enumerate(bundle.entities, 1):
        try:
            entity, aliases = validation.make_entity(raw)
        except TimelineError as error:
            raise error.at(f"{path}: entity {index}") from None
        rows.append({**entity, "aliases": aliases})
    return rows
