"""events/ and the database, kept in step: the curation loop.

Curators add facts two ways: by editing bundles in events/ and importing
them, or with the CLI (`timeline add`, `correct`, `retract`, `metric add`…).
`status` compares the two, so a build can say which recorded facts the folder
lacks instead of losing them; `write_back` writes the whole log into the
folder as bundles (bundle_yaml), so what was added by CLI becomes a diff a
reviewer reads, and `init` + `import events/` on any machine rebuilds the same
chain.
"""
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from . import bundles, output, queries, schema
from .bundle_yaml import bundle_texts
from .errors import TimelineError


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


@dataclass
class WrittenBack:
    """The files `write_back` wrote (changed or new) and how many it left as they were."""
    directory: str
    written: list = field(default_factory=list)
    unchanged: int = 0

    def summary(self):
        if not self.written:
            return f"{self.directory} is up to date with the log ({self.unchanged} files)"
        shown = ", ".join(self.written[:5]) + (", …" if len(self.written) > 5 else "")
        return f"wrote {len(self.written)} files to {self.directory} ({shown}); {self.unchanged} unchanged"


def write_back(conn, directory, force=False):
    """Write the whole log into `directory` as bundles: entities.yml, metrics.yml, one file per source.

    A source's bundle keeps its file name when the folder already holds it;
    files of sources the log lacks are left as they are.  Refuses (unless
    `force`) when the folder holds events the database lacks: writing over
    their bundles would drop them.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise TimelineError(f"{directory} is not a directory")
    names = _bundle_names(directory) if directory.is_dir() else {}
    if names and not force:
        missing = status(conn, [directory]).only_in_files
        if missing:
            raise TimelineError(
                f"{directory} holds {len(missing)} events the database lacks ({', '.join(missing[:3])}"
                f"{', …' if len(missing) > 3 else ''}): import them first (`timeline import {directory}`), "
                "or pass --force to write the log's bundles over them")
    texts = bundle_texts(queries.export_records(conn))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TimelineError(f"cannot write {directory}: {error.strerror or error}") from None
    result = WrittenBack(str(directory))
    for stem, text in texts.items():
        path = names.get(stem) or directory / f"{stem}.yml"
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            result.unchanged += 1
            continue
        output.write_text(path, text, force=True)
        result.written.append(path.name)
    return result


def _bundle_names(directory):
    """{source key, 'entities', 'metrics': the file in `directory` that holds it}."""
    names = {}
    for path in bundles.files_under([directory]) if any(directory.iterdir()) else []:
        if path.suffix == ".jsonl":
            continue
        bundle = bundles.read_file(path)
        if bundle.entities or path.stem == "entities":
            names["entities"] = path
        elif bundle.metrics or path.stem == "metrics":
            names["metrics"] = path
        elif bundle.default_source:
            names[bundle.default_source] = path
    return names
