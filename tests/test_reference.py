"""docs/cli.md is generated from the code; regenerate it when a command changes."""
from timeline.reference import reference

from .conftest import ROOT


def test_cli_reference_is_up_to_date():
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(), \
        "docs/cli.md is stale: run `.venv/bin/python -m timeline.reference > docs/cli.md`"
