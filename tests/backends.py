"""The database backends tests run against.

SQLite always; PostgreSQL when its server binaries are installed (Debian
package `postgresql`): one throwaway cluster per test run (tests/postgres.py),
one fresh database per test.  Without the binaries the PostgreSQL cases are
reported as skipped, with the reason, never silently dropped.

Each backend hands a test a fresh, empty database URL and cleans it up
afterwards.
"""
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from . import postgres


@dataclass(frozen=True)
class SQLite:
    name: str = "sqlite"

    def fresh_database(self, tmp_path):
        return str(tmp_path / "timeline.db")

    def drop(self, url):
        pass


@dataclass(frozen=True)
class PostgreSQL:
    name: str = "postgresql"

    def fresh_database(self, tmp_path=None):
        cluster = postgres.cluster()
        return cluster.url(cluster.create_database())

    def drop(self, url):
        postgres.cluster().drop_database(sa.engine.make_url(url).database)


def available():
    """[SQLite(), PostgreSQL()]; PostgreSQL as a skipped param, with why, when it cannot run."""
    reason = postgres.missing_reason()
    if reason:
        return [SQLite(), pytest.param(PostgreSQL(), id="postgresql", marks=pytest.mark.skip(reason=reason))]
    return [SQLite(), PostgreSQL()]
