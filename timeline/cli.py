"""The `timeline` command: thin click wrappers over the library.

Each command parses its options, calls one function of the library (mostly a
Store method of the same name) and prints the result.  Every user mistake
ends as one line on stderr starting `Error:`, exit code 1 (2 for usage
errors), and no traceback.  Heavy imports (dateparser, datasette) happen
inside the commands that need them, so `timeline --help` stays fast.
"""
import json
import sys
from pathlib import Path

import click

from .errors import TimelineError


class TimelineGroup(click.Group):
    """A click group that turns user mistakes into one `Error:` line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        # no shell can pass a NUL (argv is C strings), but a caller can, and os.stat
        # (inside click.Path) answers one with a bare ValueError
        for arg in sys.argv[1:] if args is None else args:
            if isinstance(arg, str) and "\x00" in arg:
                _fail(f"argument {arg[:60]!r} contains a NUL character", 2)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            _fail(error.format_message() + hint, 2)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except TimelineError as error:
            _fail(str(error), 1)
        except _database_errors() as error:
            _fail(_database_message(error), 1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message, code):
    _echo(f"Error: {' '.join(str(message).split())}", err=True)
    sys.exit(code)


def _echo(message="", **options):
    """click.echo, with any control character in the text (from an older log, or typed by a user)
    shown as a \\uXXXX escape instead of reaching the terminal."""
    from .characters import visible
    click.echo(visible(str(message)), **options)


def _database_errors():
    from sqlalchemy.exc import DatabaseError, OperationalError
    return (DatabaseError, OperationalError)


def _database_message(error):
    text = str(getattr(error, "orig", error)).splitlines()[0]
    if "file is not a database" in text:
        return "not a timeline database (the file is not SQLite)"
    return f"database: {text}"


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _timeline(ctx):
    from .api import Timeline
    return Timeline.open(ctx.obj["db"])


def quiet_option(command):
    """--quiet, for commands that show a progress bar (on a terminal: stderr) while they work."""
    return click.option("--quiet", "-q", is_flag=True,
                        help="No progress bar (there is none when stderr is not a terminal).")(command)


def _progress(quiet):
    from .progress import bar
    return bar(quiet)


def _print_json(value):
    _echo(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False))


def _emit(rows, as_json, line):
    """Rows as JSON, or one `line(row)` each: what every listing command prints."""
    if as_json:
        _print_json([row.to_dict() for row in rows])
        return
    for row in rows:
        _echo(line(row))


@click.group(cls=TimelineGroup)
@click.version_option(package_name="timeline")
@click.option("--db", envvar="TIMELINE_DB", default="timeline.db", show_default=True,
              help="SQLite file or SQLAlchemy URL (postgresql+psycopg://…). Env: TIMELINE_DB.")
@click.pass_context
def cli(ctx, db):
    """An event-sourced database of dated corporate facts, each cited to its source."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


# ---- creating and filling ----

@cli.command()
@click.pass_context
def init(ctx):
    """Create the database, or upgrade it to the current schema."""
    from .api import Timeline
    _echo(f"ready: {Timeline.init(ctx.obj['db']).url}")


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@quiet_option
@click.pass_context
def import_(ctx, paths, quiet):
    """Import YAML bundles and JSON Lines exports (files or directories), in one transaction."""
    _echo(_timeline(ctx).import_paths(paths, progress=_progress(quiet)).summary())


def _new_source(source_key, url, title, published_on, publisher):
    """The cited source: a key, or a new source's mapping when the options describe one."""
    if not (url or title or published_on):
        return source_key
    if not (title and published_on):
        raise TimelineError("a new source needs --source-title and --published-on (and --source-url if it has one)")
    return {"key": source_key, "title": title, "url": url, "published_on": published_on, "publisher": publisher}


def _attrs(options):
    """--attr KEY=VALUE options, checked for their shape (the kind types the values)."""
    for option in options:
        if "=" not in option:
            raise TimelineError(f"--attr {option!r} must look like key=value")
    return options


def event_options(command):
    """The options shared by `add` and `correct`."""
    options = [
        click.option("--entity", help="Entity key, name or alias."),
        click.option("--counterparty", help="The other party: investor, partner, customer…"),
        click.option("--kind", help="Event kind (see `timeline kinds`)."),
        click.option("--date", "date_text", help="The date as the source wrote it: 'Q2 2025', 'April 2024'."),
        click.option("--date-note", help="How an inferred date was inferred."),
        click.option("--valid-from", help="First day of the span, when --date cannot be read (with --valid-to, "
                                          "--precision and --date-note)."),
        click.option("--valid-to", help="Last day of the span, when --date cannot be read."),
        click.option("--precision", help="day, month, quarter, half, year or approximate, when --date cannot be read."),
        click.option("--reported-on", help="When it became public (default: the source's date)."),
        click.option("--summary", help="One sentence in your own words."),
        click.option("--quote", help="The verbatim sentence from the source (≤ 300 characters)."),
        click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE",
                     help="Attribute; quantities as 'revenue=155.6 million USD'. Repeatable."),
        click.option("--source", "source_key", help="Key of the cited source."),
        click.option("--source-url", help="URL of a new source to cite."),
        click.option("--source-title", help="Title of a new source to cite."),
        click.option("--published-on", help="Publication date of a new source."),
        click.option("--publisher", help="Publisher of a new source."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@event_options
@click.option("--id", "event_id", help="Event id (default: entity/period/what).")
@click.pass_context
def add(ctx, event_id, entity, counterparty, kind, date_text, date_note, valid_from, valid_to, precision, reported_on,
        summary, quote, attrs, source_key, source_url, source_title, published_on, publisher):
    """Append one event citing a source; prints its id."""
    for name, value in (("--entity", entity), ("--kind", kind), ("--date", date_text), ("--summary", summary), ("--quote", quote)):
        if not value:
            raise click.UsageError(f"Missing option '{name}'.")
    source = _new_source(source_key, source_url, source_title, published_on, publisher)
    _echo(_timeline(ctx).add(entity, kind, date_text, summary, quote, source, attrs=_attrs(attrs),
                                  counterparty=counterparty, id=event_id, date_note=date_note,
                                  reported_on=reported_on, valid_from=valid_from, valid_to=valid_to,
                                  precision=precision))


@cli.command()
@click.argument("event_id")
@event_options
@click.option("--reason", required=True, help="Why the correction is made.")
@click.option("--keep-summary", is_flag=True, help="Keep the summary although a figure changes (it does not state it).")
@click.pass_context
def correct(ctx, event_id, reason, entity, counterparty, kind, date_text, date_note, valid_from, valid_to, precision,
            reported_on, summary, quote, attrs, source_key, source_url, source_title, published_on, publisher,
            keep_summary):
    """Append a corrected version of EVENT_ID that supersedes it; prints the new id."""
    source = _new_source(source_key, source_url, source_title, published_on, publisher)
    _echo(_timeline(ctx).correct(event_id, reason, source, attrs=_attrs(attrs), keep_summary=keep_summary,
                                      entity=entity,
                                      counterparty=counterparty, kind=kind, date=date_text, date_note=date_note,
                                      valid_from=valid_from, valid_to=valid_to, precision=precision,
                                      reported_on=reported_on, summary=summary, quote=quote))


@cli.command()
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event is withdrawn.")
@click.option("--source", "source_key", help="Source that withdraws it (default: the event's own source).")
@click.pass_context
def retract(ctx, event_id, reason, source_key):
    """Append a retraction of EVENT_ID; the event stays in the log."""
    _echo(_timeline(ctx).retract(event_id, reason, source_key))


@cli.group()
def entity():
    """Add entities to the registry."""


@entity.command("add")
@click.argument("key")
@click.option("--name", help="Full name (required for a new entity).")
@click.option("--type", "entity_type", help="company, brand, product, facility, person, market, organization.")
@click.option("--alias", "aliases", multiple=True, help="Another name: ticker, legal name, other script. Repeatable.")
@click.option("--parent", help="Key of the owning or containing entity.")
@click.option("--fiscal-year-end", help="MM-DD (default 12-31).")
@click.option("--note", help="What the entity is.")
@click.pass_context
def entity_add(ctx, key, name, entity_type, aliases, parent, fiscal_year_end, note):
    """Add entity KEY, or new aliases to it; entities are never edited."""
    report = _timeline(ctx).add_entity(key, name=name, type=entity_type, aliases=aliases, parent=parent,
                                       fiscal_year_end=fiscal_year_end, note=note)
    _echo(report.summary())


@cli.group()
def source():
    """Add sources (documents that events cite)."""


@source.command("add")
@click.argument("key")
@click.option("--title", required=True)
@click.option("--url")
@click.option("--publisher")
@click.option("--published-on", required=True, help="ISO date, or as precise as known: 'August 2024'.")
@click.option("--type", "document_type", help="news, press_release, earnings_call, filing, article, report…")
@click.option("--language")
@click.option("--sha256", help="SHA-256 of the document text.")
@click.option("--note")
@click.pass_context
def source_add(ctx, key, title, url, publisher, published_on, document_type, language, sha256, note):
    """Add source KEY."""
    report = _timeline(ctx).add_source(key, title, published_on, url=url, publisher=publisher,
                                       document_type=document_type, language=language, sha256=sha256, note=note)
    _echo(report.summary())


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.pass_context
def status(ctx, paths):
    """Compare the database with the bundles under PATHS (usually events/): which events only one holds."""
    found = _timeline(ctx).status(paths)
    where = ", ".join(paths)
    if found.in_step:
        _echo(f"{where} and the database hold the same {found.in_both} events")
        return
    if found.only_in_database:
        shown = ", ".join(found.only_in_database[:5]) + (", …" if len(found.only_in_database) > 5 else "")
        _echo(f"the database holds {_count(len(found.only_in_database), 'event')} that {where} lacks ({shown}); "
                   f"they are kept: `timeline export --bundles {where}` writes them back")
    if found.only_in_files:
        shown = ", ".join(found.only_in_files[:5]) + (", …" if len(found.only_in_files) > 5 else "")
        _echo(f"{where} holds {_count(len(found.only_in_files), 'event')} the database lacks ({shown}); "
                   f"`timeline import {where}` adds them")


@cli.group()
def ingest():
    """Add figures from machine-readable filings."""


@ingest.command("xbrl")
@click.argument("file")
@click.option("--entity", help="Entity key, name or alias (default: the document's entityName, found in the registry).")
@click.option("--concepts", default="all-mapped", show_default=True, metavar="LIST|all-mapped",
              help="Only these concepts, comma-separated (us-gaap:Revenues,ifrs-full:Revenue).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every unmapped concept, every event id).")
@click.pass_context
def ingest_xbrl(ctx, file, entity, concepts, as_json):
    """Append the figures of an SEC companyfacts document (FILE, downloaded from
    https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json) as events citing their
    filings: one event per figure and period, a restatement in a later filing as a correction.
    Concepts are mapped to metrics by the metrics' xbrl lists; re-reading a file adds nothing."""
    report = _timeline(ctx).ingest_xbrl(file, entity=entity, concepts=concepts)
    if as_json:
        _print_json(report.to_dict())
    else:
        click.echo(report.summary())


@cli.command()
@click.argument("entity_name", metavar="ENTITY")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def compare(ctx, entity_name, as_json):
    """Curated figures of ENTITY beside the filed ones (ingest xbrl) for the same metric and
    period, and whether they agree (the filed figure rounds to the curated one)."""
    from . import display
    rows = _timeline(ctx).compare_filings(entity_name)
    if not rows and not as_json:
        click.echo("no period has both a curated and a filed figure")
        return

    def line(row):
        verdict = {True: "agree", False: "differ", None: "cannot tell"}[row.agree]
        if row.agree is False and row.difference is not None:
            verdict += f" by {display.quantity(row.difference, row.filed_unit)}"
        metric = row.metric + (f"[{row.series}]" if row.series else "")
        curated = display.quantity(row.curated, row.curated_unit, row.curated_qualifier)
        return (f"{metric:<24} {row.period:<12} curated {curated:<26} filed {display.quantity(row.filed, row.filed_unit):<24}"
                f" {verdict}\n    {row.curated_event} [{row.curated_source}]  vs  {row.filed_event} [{row.filed_source}]")
    _emit(rows, as_json, line)


@cli.command()
@quiet_option
@click.pass_context
def rebuild(ctx, quiet):
    """Replay the log into fresh projections."""
    _echo(f"rebuilt projections from {_timeline(ctx).rebuild(progress=_progress(quiet))} events")


# ---- reading ----

def _iso_option(value, name):
    from .validation import iso_date
    return None if value is None else iso_date(value, name)


@cli.command()
@click.argument("entity_name", metavar="ENTITY")
@click.option("--as-of", help="State of the world on this date (YYYY-MM-DD).")
@click.option("--known-at", help="Only what the public record said by this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx, entity_name, as_of, known_at, as_json):
    """The state of ENTITY, now or as of / as known at a date."""
    from . import display
    as_of, known_at = _iso_option(as_of, "--as-of"), _iso_option(known_at, "--known-at")
    result = _timeline(ctx).state(entity_name, as_of=as_of, known_at=known_at)
    if as_json:
        _print_json(result.to_dict())
        return
    when = " ".join(filter(None, [f"as of {as_of}" if as_of else "", f"as known at {known_at}" if known_at else ""]))
    _echo(f"{result.entity}{' ' + when if when else ''}")
    for key, entry in result.state.items():
        _echo(f"  {key:<34} {display.state_value(entry):<28} {entry.period:<12} {entry.event}  [{entry.source}]")
    if not result.state:
        _echo("  (no state)")


@cli.command("log")
@click.argument("entity_name", metavar="[ENTITY]", required=False)
@click.option("--kind", help="Only events of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def log_(ctx, entity_name, kind, as_json):
    """Every event in order of recording, with its status (current, superseded, retracted)."""
    def line(row):
        mark = "" if row.status == "current" else f" [{row.status} by {row.changed_by}]"
        return f"{row.seq:>6}  {row.period:<12} {row.kind:<17} {row.event_id}{mark}\n        {row.summary}"
    _emit(_timeline(ctx).log(entity_name, kind), as_json, line)


@cli.command()
@click.argument("entity_name", metavar="ENTITY")
@click.argument("metric")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def history(ctx, entity_name, metric, as_json):
    """Every value reported for METRIC of ENTITY, by period, with corrections."""
    from . import display, vocabulary
    vocabulary.check_metric(metric)

    def line(row):
        flags = ",".join(f for f in ("first_reported", "latest") if getattr(row, f)) or row.status
        period = f"{row.period} [{row.series}]" if row.series else row.period
        return f"{period:<12} {display.value(row.value):<28} reported {row.reported_on}  {flags:<22} {row.event}"
    _emit(_timeline(ctx).history(entity_name, metric), as_json, line)


@cli.command("entities")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def entities_(ctx, as_json):
    """List the entity registry."""
    def line(row):
        aliases = f"  ({', '.join(row.aliases)})" if row.aliases else ""
        return f"{row.key:<32} {row.type:<13} {row.name}{aliases}"
    _emit(_timeline(ctx).entities(), as_json, line)


@cli.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def sources_(ctx, as_json):
    """List the cited documents."""
    _emit(_timeline(ctx).sources(), as_json,
          lambda row: f"{row.key:<44} {row.published_on:<12} {row.events:>4} events  {row.title}")


@cli.command()
@click.argument("kind", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kinds(kind, as_json):
    """List event kinds and their attributes, or show KIND in full with an example."""
    from . import vocabulary
    words = vocabulary.builtin()
    shown = {kind: words.check_kind(kind)} if kind else words.kinds
    if as_json:
        _print_json(shown)
        return
    for name, spec in shown.items():
        _echo(f"{name:<17} {spec['description']}")
        if spec["required"]:
            _echo(f"{'':<17}   required: {', '.join(spec['required'])}")
        if spec.get("one_of"):
            _echo(f"{'':<17}   at least one of: {', '.join(spec['one_of'])}")
        if spec["optional"]:
            _echo(f"{'':<17}   optional: {', '.join(spec['optional'])}")
        if kind:
            for attribute in words.attributes_of(name):
                _echo(f"{'':<17}     {attribute:<17} {words.attributes[attribute]['description']}")
            if spec.get("relation"):
                _echo(f"{'':<17}   the counterparty is the entity's {spec['relation'][0]}")
            _echo(f"{'':<17}   example: timeline add --entity ecarx --kind {name} --date 'Q2 2025' "
                       f"{spec['example']} --source KEY --summary '…' --quote '…'")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def metrics(ctx, as_json):
    """List the metrics: built in (timeline/metrics.yml) and added by curators (timeline metric add)."""
    from . import database, vocabulary
    url = database.url_for(ctx.obj["db"])
    if url.startswith("sqlite:") and not Path(url.split("///", 1)[-1]).exists():
        words = vocabulary.builtin()  # no database here: the built-in metrics
    else:
        words = _timeline(ctx).vocabulary()
    if as_json:
        _print_json(list(words.metrics.values()))
        return
    for key, spec in words.metrics.items():
        flow = "flow" if spec["type"] == "flow" else "stock"
        origin = "" if spec["builtin"] else "  (added)"
        _echo(f"{key:<40} {spec['unit']:<9} {flow:<5}  {spec['label']}{origin}")
    _echo("\ne.g. timeline add --entity acme --kind financial_result --date 'Q2 2025' "
               "--attr 'revenue=155.6 million USD' --attr 'change_yoy=-10%' …")


@cli.group()
def metric():
    """Add metrics to the vocabulary of this log."""


@metric.command("add")
@click.argument("key")
@click.option("--label", required=True, help="What people call it: 'Order intake'.")
@click.option("--unit", required=True, help="currency, per_share, count, percent, points, ratio or physical.")
@click.option("--flow/--stock", "flow", required=True, help="Over a period (revenue) or a level on a day (cash).")
@click.option("--section", help="Where the entity page shows it: financials or operations.")
@click.option("--no-chart", is_flag=True, help="Keep it off the charts.")
@click.option("--opposite", help="For a loss: the signed metric it is the negative of.")
@click.option("--xbrl", multiple=True, metavar="CONCEPT", help="An XBRL concept that reports it (us-gaap:Revenues). Repeatable.")
@click.option("--word", "words", multiple=True, help="How documents name it. Repeatable.")
@click.option("--description", help="One line for the reference.")
@click.pass_context
def metric_add(ctx, key, label, unit, flow, section, no_chart, opposite, xbrl, words, description):
    """Add metric KEY; metrics are never edited."""
    report = _timeline(ctx).add_metric(key, label, unit, "flow" if flow else "stock", section=section,
                                       chart=not no_chart, opposite=opposite, xbrl=list(xbrl), words=list(words),
                                       description=description)
    _echo(report.summary())


@cli.command("parse-date")
@click.argument("text")
@click.option("--base", help="Date relative phrases count from (YYYY-MM-DD), e.g. the publication date.")
@click.option("--fiscal-year-end", default="12-31", show_default=True, help="MM-DD, for FY dates.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def parse_date(text, base, fiscal_year_end, as_json):
    """Read a fuzzy date ('Q2 2025', 'first half of 2025') as a span with a precision."""
    from . import dates
    try:
        span = dates.parse(text, base=_iso_option(base, "--base"), fiscal_year_end=fiscal_year_end)
    except dates.DateError as error:
        raise TimelineError(str(error)) from None
    result = span.as_dict(text)
    if as_json:
        _echo(json.dumps(result, ensure_ascii=False))
    else:
        label = dates.label(span.valid_from, span.valid_to, span.precision)
        _echo(f"{label}: {result['valid_from']} to {result['valid_to']} ({result['precision']})")


@cli.command("verify")
@click.argument("db", required=False)
@click.option("--expect-head", metavar="HASH", help="The chain head the log must end at (catches a log cut short).")
@click.option("--key", type=click.Path(dir_okay=False), help="OpenSSH public key (ssh-ed25519) the published file "
                                                            "must be signed by.")
@quiet_option
@click.pass_context
def verify_(ctx, db, expect_head, key, quiet):
    """Check every hash chain, the projections and (for a published file) its record, schema, index and
    reader tables, in the database or in DB."""
    from .api import Timeline
    progress = _progress(quiet)
    if db or key:
        verdict = Timeline.verify_file(db or ctx.obj["db"], expect_head=expect_head, key=key, progress=progress)
    else:
        verdict = _timeline(ctx).verify(expect_head=expect_head, progress=progress)
    if not verdict.ok:
        raise TimelineError(verdict.message())
    _echo(verdict.message())


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
@click.option("--bundles", "bundles_dir", type=click.Path(file_okay=False),
              help="Write the log into this folder (events/) as YAML bundles instead: the form to review and commit.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file; with --bundles, write over bundles "
                                            "that hold events the database lacks.")
@quiet_option
@click.pass_context
def export(ctx, fmt, output, bundles_dir, force, quiet):
    """Write the whole log: JSON Lines (re-importable), CSV (events only), or YAML bundles (--bundles events/)."""
    from . import output as outputs
    if bundles_dir:
        if output:
            raise click.UsageError("give either --bundles DIR or -o FILE")
        _echo(_timeline(ctx).write_back(bundles_dir, force).summary())
        return
    if output:
        outputs.check_writable(output, force)
    # written as it is read, so an export of any size never exists in memory whole
    chunks = _timeline(ctx).export_chunks(fmt, progress=_progress(quiet) if output else None)
    if output:
        outputs.write_chunks(output, chunks, force)
    elif sys.stdout.isatty():
        for chunk in chunks:
            _echo(chunk, nl=False)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)  # data for a file or a pipe: exactly as stored


@cli.command("copy")
@click.option("--from", "from_db", metavar="URL", help="Database to copy from (default: --db).")
@click.option("--to", "to_db", metavar="URL", required=True,
              help="Database to copy into: new or empty; initialised if needed.")
@quiet_option
@click.pass_context
def copy_(ctx, from_db, to_db, quiet):
    """Copy the whole log between databases (SQLite <-> PostgreSQL), hashes and all, and verify it."""
    from .api import Timeline
    _echo(Timeline.open(from_db or ctx.obj["db"]).copy_to(to_db, progress=_progress(quiet)).summary())


@cli.command("check-quotes")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--documents", required=True, type=click.Path(), help="Directory holding the source documents.")
def check_quotes_(paths, documents):
    """Check that every quote in the bundles occurs verbatim in its source document."""
    from .quotes import check_quotes
    checked, misses = check_quotes(paths, documents)
    for miss in misses:
        _echo(f"{miss}", err=True)
    if misses:
        raise TimelineError(f"{len(misses)} of {checked} quotes do not check")
    _echo(f"ok: {checked} quotes found verbatim in their documents")


# ---- publishing ----

@cli.command()
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace OUT even if it is not a file timeline published (never the live database).")
@click.option("--sign", type=click.Path(dir_okay=False), metavar="KEY",
              help="Sign the publication with this Ed25519 OpenSSH private key (ssh-keygen -t ed25519).")
@quiet_option
@click.pass_context
def publish(ctx, out, force, sign, quiet):
    """Write OUT.db: a read-only SQLite copy of the log for Datasette and for download."""
    published = _timeline(ctx).publish(out, force=force, sign=sign, progress=_progress(quiet))
    _echo(f"published {published.event_count} events, {published.entity_count} entities, "
               f"{published.source_count} sources to {published.path} (chain head {published.head_hash})")


@cli.command()
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0 for all).")
@click.option("--out", default="published/timeline.db", show_default=True, type=click.Path(dir_okay=False),
              help="The published file to serve; rebuilt first when the log has changed since it was built.")
@click.option("--metadata", "metadata_path", type=click.Path(exists=True, dir_okay=False),
              help="Datasette metadata (default: metadata.yml here, else the project's).")
@click.option("--template-dir", type=click.Path(exists=True, file_okay=False),
              help="Templates that override Datasette's and the timeline plugin's.")
@click.pass_context
def serve(ctx, port, host, out, metadata_path, template_dir):
    """Publish the log if it changed, then browse it with Datasette (read-only, downloadable)."""
    from .web import server
    timeline = _timeline(ctx)
    try:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TimelineError(f"cannot publish to {out}: {error.strerror or error}") from None
    published = timeline.publish(out, if_stale=True)
    if published:
        _echo(f"published {published.event_count} events to {out} (chain head {published.head_hash[:12]}…)")
    else:
        _echo(f"{out} is up to date with the log")
    server.serve(out, host=host, port=port, metadata_path=metadata_path or server.default_metadata_path(),
                 template_dir=template_dir, echo=click.echo)


# ---- drafting ----

@cli.command()
@click.argument("document", type=click.Path(dir_okay=False))
@click.option("--source-key", required=True, help="Key (slug) of the source the draft cites.")
@click.option("--title", help="Title of the document (default: its first line).")
@click.option("--publisher", help="Who published the document.")
@click.option("--url", help="Where the document is published.")
@click.option("--published-on", help="Publication date (default: the dateline's, e.g. 'LONDON – December 29, 2025 –').")
@click.option("--entity", help="The company 'we' and 'the company' mean (default: the one the document names most).")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Which lines of an interleaved translation to quote.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write, e.g. events/KEY.yml (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.pass_context
def draft(ctx, document, source_key, title, publisher, url, published_on, entity, language, output, force):
    """Draft a bundle from DOCUMENT: one proposed event per dated fact, marked for review.

    Entities are found through the registry of the --db database when it exists, else
    events/entities.yml.  The draft has `status: draft` on its source and a `review:` note
    on each event; `timeline import` refuses it until a curator has removed them.
    """
    from pathlib import Path

    from . import draft as drafting, output as outputs
    from .validation import KEY
    if not KEY.match(source_key):
        raise TimelineError(f"--source-key {source_key!r} must be a slug: lowercase letters, digits and hyphens")
    if output:
        outputs.check_writable(output, force)
    index, _ = drafting.load_index(ctx.obj["db"])
    bundle = drafting.draft_file(document, source_key=source_key, index=index, title=title, publisher=publisher,
                                 url=url, published_on=published_on, entity=entity, language=language)
    # a document already cited: drafting it again is allowed (a second look), but say so
    known = drafting.known_sources(ctx.obj["db"], bundle["source"].get("sha256"))
    if known:
        click.echo(f"Warning: {Path(document).name} is already a source in the database: "
                   f"{', '.join(known)} (same sha256)", err=True)
    text = drafting.to_yaml(bundle, document=Path(document).name)
    if output:
        outputs.write_text(output, text, force, make_parents=True)
        _echo(f"drafted {len(bundle['events'])} events for review: {output}", err=True)
    else:
        _echo(text, nl=False)
