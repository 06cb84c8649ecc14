"""Finding entities by what people call them: key, name or alias, any case.

An unknown name is an error that offers the close matches, so a typo in a
bundle or on the command line is caught and mended in one step.
"""
import sqlalchemy as sa

from . import schema
from .errors import TimelineError, did_you_mean
from .schema import valid_text


def fold(name):
    return " ".join(str(name).split()).casefold()


def lookup(conn, name, role="entity"):
    """The key of the entity called `name`, as `Registry.resolve` answers, read through the indexes:
    one entity is found without reading the whole registry (a command that shows or appends one
    entity's facts should not pay for every entity).

    The key and the folded aliases are indexed; a name is compared in SQL only where SQL's lower()
    is fold() (printable ASCII, single spaces), and in Python for any other name.  An unknown name
    reads the whole registry once, for the suggestions of its error."""
    if not valid_text(name):
        return Registry(conn).resolve(name, role)
    entities, aliases = schema.entities, schema.entity_aliases
    if conn.execute(sa.select(entities.c.key).where(entities.c.key == name)).first() is not None:
        return name
    folded = fold(name)
    keys = set(conn.execute(sa.select(entities.c.key).where(entities.c.key == folded)).scalars())
    keys.update(conn.execute(sa.select(aliases.c.entity).where(aliases.c.alias_folded == folded)).scalars())
    keys.update(row.key for row in conn.execute(sa.select(entities.c.key, entities.c.name).where(_may_fold_to(conn, folded)))
                if fold(row.name) == folded)
    if len(keys) == 1:
        return keys.pop()
    if len(keys) > 1:
        raise TimelineError(f"{role} '{name}' is ambiguous: it names {', '.join(sorted(keys))}; use the key")
    return Registry(conn).resolve(name, role)


def _may_fold_to(conn, folded):
    """A condition every entity whose name folds to `folded` meets (and few others do)."""
    name = schema.entities.c.name
    if conn.dialect.name != "sqlite":
        return sa.true()  # lower() follows the database's locale there: compare every name in Python
    # SQLite's lower() changes only A-Z, which is all fold() changes in a name of printable
    # ASCII with single inner spaces; any other name may fold otherwise, and is compared in Python
    return sa.or_(sa.func.lower(name) == folded, name.op("GLOB")("*[^ -~]*"), name.like(" %"), name.like("% "),
                  name.like("%  %"))


class Registry:
    """The entity registry as read once by one transaction."""

    def __init__(self, conn):
        self.entities = {row.key: dict(row._mapping) for row in conn.execute(sa.select(schema.entities))}
        self.names = {}
        self.identities = {}  # folded key or name -> entity key: what an alias of another entity may not be
        for key, entity in self.entities.items():
            self._index(key, entity["name"])
            self._index(key, key)
            self.identities.update({fold(key): key, fold(entity["name"]): key})
        for row in conn.execute(sa.select(schema.entity_aliases.c.entity, schema.entity_aliases.c.alias)):
            self._index(row.entity, row.alias)

    def add_alias(self, key, alias):
        self._index(key, alias)

    def _index(self, key, name):
        self.names.setdefault(fold(name), set()).add(key)

    def add(self, entity, aliases):
        self.entities[entity["key"]] = entity
        self.identities.update({fold(entity["key"]): entity["key"], fold(entity["name"]): entity["key"]})
        for name in (entity["key"], entity["name"], *aliases):
            self._index(entity["key"], name)

    def resolve(self, name, role="entity"):
        """The key of the entity called `name`; TimelineError if none or several."""
        if name in self.entities:
            return name
        keys = self.names.get(fold(name), set())
        if len(keys) == 1:
            return next(iter(keys))
        if len(keys) > 1:
            raise TimelineError(f"{role} '{name}' is ambiguous: it names {', '.join(sorted(keys))}; use the key")
        hint = did_you_mean(fold(name), self.names) or " (add it with `timeline entity add`)"
        raise TimelineError(f"unknown {role} '{name}'{hint}")

    def aliases_of(self, key):
        return sorted(name for name, keys in self.names.items() if key in keys)
