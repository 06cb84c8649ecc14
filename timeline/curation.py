"""events/ and the database, kept in step: the curation loop.

Curators add facts two ways: by editing bundles in events/ and importing
them, or with the CLI (`timeline add`, `correct`, `retract`).  `status`
compares the two, so a build can say which recorded facts the folder lacks
instead of losing them.
"""
from dataclasses import dataclass, field

import sqlalchemy as sa

from . import bundles, schema


@dataclass
class Status:
    """Event ids only in the database, only in the files, and in both."""
    only_in_database: list = field(default_factory=list)
    only_in_files: list = field(default_factory=list)
    in_both: int = 0

    @property
    def in_step(self):
        return not self.only_in_database and not self.only_in_files


def status(conn, paths):
    """How the events under `paths` (bundles, exports) compare with the database's."""
    in_files = {event.get("id") for bundle in bundles.read(paths) for event in bundle.events
                if isinstance(event, dict)}
    ordered = conn.execute(sa.select(schema.events.c.id).order_by(schema.events.c.seq)).scalars().all()
    in_database = set(ordered)
    return Status(
        only_in_database=[event_id for event_id in ordered if event_id not in in_files],
        only_in_files=sorted(i for i in in_files - in_database if isinstance(i, str)),
        in_both=len(in_database & in_files),
    )
