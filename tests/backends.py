"""The database backends tests run against.

SQLite always; PostgreSQL when a throwaway server can be started (added by the
PostgreSQL backend work: see postgres.py when present).  Each backend hands a
test a fresh, empty database URL and cleans it up afterwards.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class SQLite:
    name: str = "sqlite"

    def fresh_database(self, tmp_path):
        return str(tmp_path / "timeline.db")

    def drop(self, url):
        pass


def available():
    return [SQLite()]
