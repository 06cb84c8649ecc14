"""Finding entities by what people call them: key, name or alias, any case.

An unknown name is an error that offers the close matches, so a typo in a
bundle or on the command line is caught and mended in one step.
"""
import sqlalchemy as sa

from . import schema
from .errors import TimelineError, did_you_mean


def fold(name):
    return " ".join(str(name).split()).casefold()


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
