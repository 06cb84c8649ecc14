"""Checking citations: every quote occurs verbatim in its source document.

Documents are found in a directory by the source's sha256 (the digest of the
file's bytes) or, failing that, by a file named after the source key
(`<key>.txt`, `<key>.md`…).  A quote must be a contiguous substring of the
document text, character for character.
"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

from . import bundles
from .errors import TimelineError


@dataclass
class Miss:
    path: str
    event_id: str
    source: str
    problem: str

    def __str__(self):
        return f"{self.path}: event {self.event_id}: {self.problem}"


def index_documents(directory):
    """{sha256: path} and {stem: path} for the files in `directory`."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TimelineError(f"{directory} is not a directory of documents")
    by_digest, by_stem = {}, {}
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        by_digest[hashlib.sha256(path.read_bytes()).hexdigest()] = path
        by_stem[path.stem] = path
    return by_digest, by_stem


def check_quotes(paths, documents):
    """(number of quotes checked, [Miss]) for the bundles under `paths`."""
    by_digest, by_stem = index_documents(documents)
    checked, misses, texts = 0, [], {}
    for bundle in bundles.read(paths):
        sources = {s.get("key"): s for s in bundle.sources if isinstance(s, dict)}
        for event in bundle.events:
            if not isinstance(event, dict) or not event.get("quote"):
                continue
            checked += 1
            key = event.get("source") or bundle.default_source
            source = sources.get(key, {})
            document = by_digest.get(source.get("sha256")) or by_stem.get(key)
            if document is None:
                misses.append(Miss(bundle.path, event.get("id"), key, f"no document for source '{key}' in {documents}"))
                continue
            if document not in texts:
                texts[document] = document.read_text(encoding="utf-8")
            if event["quote"] not in texts[document]:
                misses.append(Miss(bundle.path, event.get("id"), key,
                                   f"quote not found verbatim in {document.name}: {event['quote'][:80]!r}"))
    return checked, misses
