"""The Python API: docs/api.md runs as written, and each method is the CLI command of its name."""
import doctest
import os

import pytest

from timeline import Timeline, TimelineError

from .conftest import ROOT, write_corpus


def test_the_api_guide_runs_as_written(tmp_path):
    """Every example in docs/api.md, in a fresh directory."""
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        failures, tried = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                                           optionflags=doctest.ELLIPSIS, raise_on_error=False)
    finally:
        os.chdir(here)
    assert tried > 20 and failures == 0


@pytest.fixture
def timeline(tmp_path):
    """A Timeline on a temporary SQLite file holding the small test corpus: the fast fixture."""
    tl = Timeline.init(str(tmp_path / "timeline.db"))
    tl.import_paths([write_corpus(tmp_path / "events")])
    return tl


def test_a_failed_write_changes_nothing(timeline):
    before = timeline.export()
    with pytest.raises(TimelineError, match="unknown source 'nope'"):
        timeline.add("acme", "launch", "2025", "x", "x", "nope", attrs=["product=Rocket"])
    with pytest.raises(TimelineError, match="cannot correct 'nope': no such event"):
        timeline.correct("nope", "why", source={"title": "A new source", "published_on": "2025-10-01"})
    assert timeline.export() == before  # the new source of the failed correction was not kept


def test_add_with_a_new_source_is_one_transaction(timeline):
    event_id = timeline.add("acme", "launch", "October 2025", "Acme launched Hive.", "Acme launched Hive.",
                            {"title": "Acme launches Hive", "published_on": "2025-10-02"}, attrs=["product=Hive"])
    assert event_id == "acme/2025-10/launch"
    assert "acme-launches-hive-2025-10-02" in {s.key for s in timeline.sources()}


def test_correct_keeps_the_kind_and_the_untouched_attributes(timeline):
    new = timeline.correct("acme/2025-q2/revenue", "restated", attrs=["revenue=156.1 million USD"], keep_summary=True)
    entry = timeline.state("acme").state["revenue/quarter"]
    assert (entry.event, entry.value) == (new, 156100000)
    attributes = next(e for e in timeline.log("acme") if e.event_id == new).attributes
    assert attributes["change_yoy"] == {"amount": -10, "unit": "percent"}


def test_results_serialise_as_the_cli_prints_them(timeline):
    state = timeline.state("acme").to_dict()
    assert list(state) == ["entity", "as_of", "known_at", "state"]
    assert list(state["state"]["revenue/quarter"]) == [
        "value", "unit", "qualifier", "valid_from", "valid_to", "precision", "period", "date_text",
        "reported_on", "event", "source"]


def test_a_correction_that_changes_a_figure_says_so_in_its_summary(timeline):
    before = timeline.export()
    with pytest.raises(TimelineError, match=r"the correction changes value but keeps the summary 'Acme reported Q2 2025 "
                                            r"revenue of US\$155.6 million.'; give the corrected --summary, or "
                                            r"--keep-summary if the summary does not state it"):
        timeline.correct("acme/2025-q2/revenue", "misread", attrs=["revenue=155.7 million USD"])
    assert timeline.export() == before
    new = timeline.correct("acme/2025-q2/revenue", "misread", attrs=["revenue=155.7 million USD"],
                           summary="Acme reported Q2 2025 revenue of US$155.7 million.")
    entry = next(e for e in timeline.log("acme") if e.event_id == new)
    assert (entry.summary, entry.attributes["value"]["amount"]) == ("Acme reported Q2 2025 revenue of US$155.7 million.",
                                                                    155700000)
    kept = timeline.correct(new, "restated in the 10-Q", attrs=["change_yoy=-9%"], keep_summary=True)
    assert next(e for e in timeline.log("acme") if e.event_id == kept).summary == entry.summary


RESOLVE_ENTITIES = [  # (key, name, aliases): names that fold beyond ASCII lower(), and clashes
    ("strasse-ag", "Straße Motoren AG", ["ŞA Group"]),
    ("spaced", "Big   Spaced\tName ", []),
    ("gamma", "Gamma Corp", ["Delta Works"]),
    ("delta", "Delta Works", []),  # the alias of gamma, now also delta's name
    ("twin-a", "Twin", []), ("twin-b", "TWIN", []),
    ("kelvin", "\u212aelvin Systems", []),  # KELVIN SIGN: lower() leaves it, casefold() makes it k
    ("acme", "Acme Motors", ["ACME", "acme-old"]),
]
RESOLVE_NAMES = [  # (name as typed, the key it finds, or the error)
    ("acme", "acme", None), ("ACME", "acme", None), ("  acme   motors ", "acme", None), ("Acme-Old", "acme", None),
    ("STRASSE MOTOREN AG", "strasse-ag", None), ("straße motoren ag", "strasse-ag", None),
    ("şa group", "strasse-ag", None), ("big spaced name", "spaced", None), ("BIG SPACED NAME", "spaced", None),
    ("kelvin systems", "kelvin", None), ("KELVIN", "kelvin", None), ("Gamma corp", "gamma", None),
    ("delta works", None, "entity 'delta works' is ambiguous: it names delta, gamma; use the key"),
    ("twin", None, "entity 'twin' is ambiguous: it names twin-a, twin-b; use the key"),
    ("twin-a", "twin-a", None),
    ("acme motor", None, "unknown entity 'acme motor' — did you mean 'acme motors'?"),
    ("zzz", None, "unknown entity 'zzz' (add it with `timeline entity add`)"),
    ("", None, "unknown entity ''"),
    ("bad\udcff", None, "unknown entity"),
]


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    tl = Timeline.init(str(tmp_path_factory.mktemp("names") / "timeline.db"))
    for key, name, aliases in RESOLVE_ENTITIES:
        tl.add_entity(key, name=name, type="company", aliases=aliases)
    return tl


@pytest.mark.parametrize("name,key,error", RESOLVE_NAMES)
def test_one_entity_is_found_through_the_indexes_as_the_registry_finds_it(named, name, key, error):
    """Timeline.resolve reads the indexes (not the whole registry) and answers what Registry.resolve does."""
    from timeline.registry import Registry

    def answer(resolve):
        try:
            return resolve(name), None
        except TimelineError as failure:
            return None, str(failure)

    with named.engine.connect() as conn:
        expected = answer(Registry(conn).resolve)
    found = answer(named.resolve)
    assert found == expected
    assert found[0] == key and (error is None or found[1].startswith(error))
