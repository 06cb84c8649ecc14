"""The timeline Datasette plugin: entity pages, statements, charts, feeds, and links between rows.

Registered by the `datasette` entry point (pyproject.toml).  Its pages, one view
function each (the data of each comes from timeline.web.pages):

- /-/timeline[.json]                        every entity, the years its facts span, the
                                            canned queries, the download;
- /-/timeline/-/search[.json]?q=            full-text search, summaries and quotes ranked
                                            above source titles;
- /-/timeline/<entity>[.json]               one entity: state in sections, charts, the visual
                                            timeline, the event list with filters and pages
                                            (?as_of= &known_at= &kind= &source= &counterparty=
                                            &year= &page= &order= &from_year= &to_year=);
- /-/timeline/<entity>/statement[.json|.csv]  metrics by period (quarters, years… apart);
- /-/timeline/<entity>/timeline.svg         the visual timeline alone (same parameters);
- /-/timeline/<entity>/changes[.json]       what changed between two "known at" dates
                                            (?from= &to=);
- /-/timeline.atom, /-/timeline/<entity>.atom  Atom feeds: absolute links, stable ids;
- /-/timeline-static/<file>                 the plugin's CSS (no scripts, no fonts).

Hooks: render_cell links entity keys, event ids and source keys in every table
and view; prepare_connection registers SQL functions and puts every served
connection under SQLite limits (LIMITS); handle_exception answers 404s and other
client errors without a traceback in the server log; asgi_wrapper refuses
writes (POST, PUT…) with a short 405 when every database served is immutable.

The database is the attached file with a `publication` table (the first one),
or the one named by plugin configuration `plugins: timeline: database: NAME`.
Templates (timeline_*.html, _timeline_*.html, timeline_visual.svg) are found
after Datasette's own search path, so a --template-dir copy of one of them
wins.  Every value is rendered through Jinja's autoescaping.
"""
import copy
import csv
import io
import json
import mimetypes
import os
import sqlite3
import sys
import threading
import time
import traceback
import weakref
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import markupsafe
import sqlalchemy as sa
from datasette import hookimpl
from datasette.utils import escape_fts, tilde_decode, tilde_encode
from datasette.utils.asgi import Base400, BadRequest, NotFound, Response
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import __version__, display
from ..registry import fold
from . import pages
from .pages import safe_url

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PLUGIN = "timeline"
ATOM = "http://www.w3.org/2005/Atom"

ENTITY_COLUMNS = {"entity", "counterparty", "parent"}
EVENT_ID_COLUMNS = {"supersedes", "retracts", "changed_by", "changed_event"}
ENTITY_KEY_TABLES = {"entities", "entity_summary"}

# SQLite limits on every connection Datasette serves SQL from.  Chosen so that every
# page and canned query works (the longest canned query is ~1,700 characters; the
# largest value in the corpus ~1.5 KB, a summary ~300 characters) while one request
# can neither allocate much memory nor spend long in one row: the time limit is only
# checked between rows, and a function over a value (instr, replace, LIKE) can cost
# time in proportion to the square of its length.  See the README.
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 20_000,              # any string or blob, built or read (default 1e9)
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 10_000,          # one SQL statement (default 1e9)
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 100,             # nesting of an expression (default 1000)
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 20,         # SELECTs joined by UNION… (default 500)
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 16,            # arguments of one function (default 127)
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 100,    # a LIKE or GLOB pattern (default 50,000)
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 500,        # ?NNN and :name parameters (default 250,000)
    sqlite3.SQLITE_LIMIT_COLUMN: 200,                 # columns of a result, index, ORDER BY (default 2000)
}
# Datasette checks its SQL time limit every 1000 VM steps; a step can be one heavy
# function call, so the check runs every PROGRESS_STEPS steps instead (see _finer_time_limit).
PROGRESS_STEPS = 50
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}

_timeline_databases = weakref.WeakKeyDictionary()  # Datasette -> [database names]
_engines = {}
_engines_lock = threading.Lock()
_indexes = {}  # database file -> (its version, pages.entity_index of that version): see _entity_index


# ---- finding the published database ----

async def _detect(datasette):
    config = datasette.plugin_config(PLUGIN) or {}
    if config.get("database"):
        names = [config["database"]] if config["database"] in datasette.databases else []
    else:
        names = []
        for name, db in datasette.databases.items():
            if name.startswith("_"):
                continue
            tables = set(await db.table_names())
            if {"publication", "events", "entities"} <= tables:
                names.append(name)
    _timeline_databases[datasette] = names
    return names


async def timeline_database(datasette):
    names = _timeline_databases.get(datasette)
    if names is None:
        names = await _detect(datasette)
    if not names:
        raise NotFound("No published timeline database is attached (run `timeline publish` and serve the file).")
    return datasette.get_database(names[0])


def _engine(db):
    """A SQLAlchemy engine reading the database file, for the library's queries."""
    if not db.path:
        raise NotFound("The timeline database has no file")
    path = str(Path(db.path).resolve())
    mode = "ro&immutable=1" if not db.is_mutable else "ro"
    with _engines_lock:
        engine = _engines.get((path, mode))
        if engine is None:
            uri = f"file:{quote(path)}?mode={mode}"
            engine = sa.create_engine(
                "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
                poolclass=sa.pool.QueuePool, pool_size=4, max_overflow=8)
            _engines[(path, mode)] = engine
    return engine


async def _read(datasette, db, function, *args, **kwargs):
    """Run function(sqlalchemy connection, *args) on Datasette's database threads.

    pages.BadRequest becomes a 400 with its message."""
    engine = _engine(db)

    def run(_datasette_connection):
        with engine.connect() as conn:
            return function(conn, *args, **kwargs)

    try:
        return await db.execute_fn(run)
    except pages.BadRequest as error:
        raise BadRequest(str(error)) from None


# ---- hooks ----

@hookimpl
def startup(datasette):
    async def inner():
        await _detect(datasette)
    return inner


@hookimpl
def prepare_jinja2_environment(env, datasette):
    # after Datasette's own search path (template_dir, plugins, defaults): a user's
    # --template-dir copy of a timeline template takes precedence over ours
    if not getattr(env, "_timeline_templates", False):
        env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])
        env._timeline_templates = True
    env.filters["tl_number"] = lambda n: f"{n:,}" if isinstance(n, int) else n


@hookimpl
def prepare_connection(conn):
    # escape_fts(text): a search box's words as FTS5 phrases, so "10-Q" or "R&D" never
    # raises an FTS syntax error; period_label(from, to, precision): "Q2 2025";
    # fold_name(text): a name folded as the registry folds it, to look up entity_names;
    # xml_text(text): the text without characters XML forbids (the Atom feed's)
    conn.create_function("escape_fts", 1, lambda text: escape_fts(text or ""), deterministic=True)
    conn.create_function("fold_name", 1, lambda text: fold(text or ""), deterministic=True)
    conn.create_function("period_label", 3, _period_label_sql, deterministic=True)
    conn.create_function("xml_text", 1, lambda text: None if text is None else display.xml_text(text),
                         deterministic=True)
    conn.create_function("event_digest", 1, _event_digest_sql, deterministic=True)
    # trim(X, Y), ltrim and rtrim compare every character of X with every one of Y: the same
    # answer in time linear in their lengths (the one-argument forms are linear already)
    for name, side in (("trim", "strip"), ("ltrim", "lstrip"), ("rtrim", "rstrip")):
        conn.create_function(name, 2, _trim_sql(side), deterministic=True)
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)


def _sql_text(value):
    """A value as SQLite reads it as text: 1.5 -> '1.5', 2.0 -> '2.0', 1e20 -> '1.0e+20', a blob's bytes."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        text = f"{value:.15g}"
        mantissa, e, exponent = text.partition("e")
        if "." not in mantissa and mantissa.lstrip("-").isdigit():
            mantissa += ".0"
        return mantissa + e + exponent
    return str(value)


def _trim_sql(side):
    def trim(text, characters):
        if text is None or characters is None:
            return None
        return getattr(_sql_text(text), side)(_sql_text(characters))
    return trim


def _event_digest_sql(content_json):
    try:
        return pages.content_digest(content_json)
    except (TypeError, ValueError, AttributeError):
        return None


def _period_label_sql(valid_from, valid_to, precision):
    if valid_from is None or valid_to is None or precision is None:
        return None
    return display.period(valid_from, valid_to, precision)


@contextmanager
def _finer_time_limit(conn, ms):
    """Datasette's sqlite_timelimit, checking the deadline every PROGRESS_STEPS VM steps, not 1000."""
    deadline = time.perf_counter() + ms / 1000
    steps = 1 if ms <= 20 else PROGRESS_STEPS

    def handler():
        if time.perf_counter() >= deadline:
            return 1  # interrupts the query: Datasette answers "SQL query took too long"

    conn.set_progress_handler(handler, steps)
    try:
        yield
    finally:
        conn.set_progress_handler(None, steps)


def _install_finer_time_limit():
    from datasette import database as datasette_database
    from datasette import utils as datasette_utils

    if getattr(datasette_database, "sqlite_timelimit", None) is datasette_utils.sqlite_timelimit:
        datasette_database.sqlite_timelimit = _finer_time_limit


_install_finer_time_limit()


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    """Client errors (404, 400, 403, 405) answered as Datasette answers them, without the ~150-line
    traceback Datasette prints for each; a server error logs one plain traceback."""
    outcome = yield
    status = getattr(exception, "status", 500)
    if not isinstance(status, int):
        status = 500
    if status >= 500 and not isinstance(exception, Base400):
        traceback.print_exception(type(exception), exception, exception.__traceback__, file=sys.stderr)
    outcome.force_result([_error_response(datasette, request, exception, status)])


def _error_response(datasette, request, exception, status):
    async def inner():
        from datasette.views.base import DatasetteError

        if isinstance(exception, DatasetteError):
            message, title = exception.message, exception.title
            if exception.message_is_html:
                message = markupsafe.Markup(message)
        elif isinstance(exception, Base400):
            message, title = exception.args[0] if exception.args else "", None
        else:
            message, title = "The server could not answer this request; the error is in its log.", None
        info = {"ok": False, "error": message, "status": status, "title": title}
        if request.path.split("?")[0].endswith((".json", ".csv", ".atom", ".svg")):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        return Response.html(await template.render_async(
            dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])),
            status=status)
    return inner


@hookimpl
def asgi_wrapper(datasette):
    """A site whose every database is immutable takes no writes: POST, PUT, PATCH and DELETE get
    a short 405 (Datasette would answer a POST to a canned query with a 500 and a traceback)."""
    def wrap(app):
        async def refuse_writes(scope, receive, send):
            if scope.get("type") == "http" and scope.get("method", "GET").upper() not in READ_ONLY_METHODS \
                    and _read_only(datasette):
                response = Response.text("This site is read-only: it answers GET and HEAD requests only.\n",
                                         status=405, headers={"Allow": "GET, HEAD"})
                await response.asgi_send(send)
                return
            await app(scope, receive, send)
        return refuse_writes
    return wrap


def _read_only(datasette):
    served = [db for name, db in datasette.databases.items() if not name.startswith("_")]
    return bool(served) and all(not db.is_mutable for db in served)


@hookimpl
def register_routes():
    entity = r"(?P<entity>[^/.]+)"
    return [
        (r"^/-/timeline(?P<format>\.json)?$", entity_index),
        (r"^/-/timeline\.atom$", feed),
        (r"^/(?P<database>[^/]+)/newest_events\.atom$", feed),
        (r"^/-/timeline/-/search(?P<format>\.json)?$", search),
        (r"^/-/timeline/-/events/(?P<seq>[0-9]{1,18})$", event_redirect),
        (rf"^/-/timeline/{entity}(?P<format>\.json)?$", entity_page),
        (rf"^/-/timeline/{entity}\.atom$", feed),
        (rf"^/-/timeline/{entity}/statement(?P<format>\.json|\.csv)?$", statement),
        (rf"^/-/timeline/{entity}/timeline\.svg$", timeline_svg),
        (rf"^/-/timeline/{entity}/changes(?P<format>\.json)?$", changes),
        (r"^/-/timeline-static/(?P<path>[A-Za-z0-9][A-Za-z0-9_.-]*)$", static_file),
    ]


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/timeline"), "label": "Entity timelines"}]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if database not in (_timeline_databases.get(datasette) or ()) or value is None:
        return None
    label = None
    if isinstance(value, dict):  # an expanded foreign key
        label, value = value.get("label"), value.get("value")
    if value in (None, ""):
        return None
    if column in ENTITY_COLUMNS or (column == "key" and table in ENTITY_KEY_TABLES):
        href = entity_url(datasette, value)
        shown = label if label and label != value else value
        return markupsafe.Markup('<a class="timeline-entity" href="{}">{}</a>').format(href, shown)
    if column in EVENT_ID_COLUMNS or column == "event_id":
        if column == "event_id" and _has(row, "seq"):
            # every table and view with an event_id has that event's seq beside it
            href = datasette.urls.row(database, "events", str(row["seq"]))
        else:
            href = datasette.urls.table(database, "events") + "?" + urlencode({"id": value})
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    if column == "source_id" and table == "events":
        return _source_cell(datasette, database, value, label)
    if column == "source_key":
        href = datasette.urls.table(database, "sources") + "?" + urlencode({"key": value})
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    return None


def _source_cell(datasette, database, source_id, label):
    """The cited source: its row page, titled, and the document itself when it has an http(s) URL."""
    async def render():
        db = datasette.get_database(database)
        found = (await db.execute("SELECT title, url FROM sources WHERE id = ?", [source_id])).first()
        title, url = (found["title"], safe_url(found["url"])) if found else (label or str(source_id), None)
        cell = markupsafe.Markup('<a href="{}">{}</a>').format(
            datasette.urls.row(database, "sources", str(source_id)), title)
        if url:
            cell += markupsafe.Markup(' · <a href="{}" rel="noopener noreferrer">document</a>').format(url)
        return cell
    return render()


def _has(row, name):
    try:
        return name in row.keys()
    except AttributeError:
        return False


def entity_url(datasette, key, suffix="", **params):
    """/-/timeline/<key><suffix>?params: parameters with no value are left out, lists repeat."""
    url = datasette.urls.path(f"/-/timeline/{tilde_encode(str(key))}{suffix}")
    return _with_query(url, params)


def _with_query(url, params):
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item not in (None, ""):
                pairs.append((name, item))
    return f"{url}?{urlencode(pairs)}" if pairs else url


# ---- request parameters ----

def _dates(request):
    return {"as_of": pages.iso_date("as_of", request.args.get("as_of")),
            "known_at": pages.iso_date("known_at", request.args.get("known_at"))}


def _checked(function, *args):
    try:
        return function(*args)
    except pages.BadRequest as error:
        raise BadRequest(str(error)) from None


def _format(request):
    return request.url_vars.get("format") or ""


def _json(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False, default=str, indent=2), status=status,
                    content_type="application/json; charset=utf-8")


def _found(data, datasette, request, key, suffix=""):
    """data, or the redirect / 404 a missing entity or an alias gets."""
    if data is None:
        raise NotFound(f"No entity is called {key!r}")
    if isinstance(data, pages.Lookup):
        params = {name: request.args.getlist(name) for name in request.args}
        return Response.redirect(entity_url(datasette, data.redirect_to, suffix, **params))
    return None


# ---- views: one per kind of page ----

async def entity_index(datasette, request):
    """/-/timeline[.json]: every entity, with counts, the years its facts span, and links."""
    db = await timeline_database(datasette)
    data = await _entity_index(datasette, db)
    if _format(request) == ".json":
        for entity in data["entities"]:
            entity["url"] = entity_url(datasette, entity["key"])
        return _json({**data, "links": _site_links(datasette, db)})
    context = {
        **data, **_common(datasette, db, request),
        "queries": await datasette.get_canned_queries(db.name, request.actor),
    }
    return Response.html(await datasette.render_template(["timeline_index.html"], context, request=request))


async def search(datasette, request):
    """/-/timeline/-/search[.json]?q=&page=: events whose summary, quote or names say the words, ranked;
    those that only cite a source titled with them, after."""
    db = await timeline_database(datasette)
    page = _checked(pages.positive_int, "page", request.args.get("page"), 1)
    data = await _read(datasette, db, pages.search, request.args.get("q") or "", page)
    if _format(request) == ".json":
        return _json(data)
    context = {**data, **_common(datasette, db, request)}
    return Response.html(await datasette.render_template(["timeline_search.html"], context, request=request))


async def _entity_index(datasette, db):
    """pages.entity_index, computed once per version of the database file.

    The index counts and spans every event of the log (entity_summary, pages._spans): per request
    that would cost time in proportion to the log.  A published file does not change while it is
    served; a mutable one is read again when it is replaced or written (its inode, size or
    modification time, or its WAL's, changed)."""
    path = str(Path(db.path).resolve()) if db.path else None
    version = _file_version(path) if path else None
    cached = _indexes.get(path)
    if version is not None and cached is not None and cached[0] == version:
        return copy.deepcopy(cached[1])
    data = await _read(datasette, db, pages.entity_index)
    if version is not None and version == _file_version(path):  # unchanged while it was read
        _indexes[path] = (version, copy.deepcopy(data))
    return data


def _file_version(path):
    found = []
    for name in (path, f"{path}-wal"):
        try:
            stat = os.stat(name)
        except OSError:
            found.append(None)
            continue
        found.append((stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(found) if found[0] is not None else None


def _filters(request):
    return {name: request.args.getlist(name) for name in pages.FILTERS if request.args.getlist(name)}


def _years(request):
    return (_checked(pages.year_param, "from_year", request.args.get("from_year")),
            _checked(pages.year_param, "to_year", request.args.get("to_year")))


async def entity_page(datasette, request):
    """/-/timeline/<entity>[.json]: one entity's state in sections, charts, visual timeline and events."""
    db = await timeline_database(datasette)
    key = tilde_decode(request.url_vars["entity"])
    when = _checked(_dates, request)
    page = _checked(pages.positive_int, "page", request.args.get("page"), 1)
    size = _checked(pages.positive_int, "size", request.args.get("size"), pages.PAGE_SIZE, pages.MAX_PAGE_SIZE)
    data = await _read(datasette, db, pages.entity_page, key, when["as_of"], when["known_at"], _filters(request),
                       page, request.args.get("order") or "newest", _years(request), size)
    redirect = _found(data, datasette, request, key, _format(request))
    if redirect:
        return redirect
    key = data["entity"]["key"]
    links = _entity_links(datasette, db, key, request, data)
    if _format(request) == ".json":
        return _json(_entity_json(data, links, datasette, db))
    context = {**data, **_common(datasette, db, request), "links": links,
               "events_table_url": datasette.urls.table(db.name, "timeline") + "?" + urlencode({"entity": key, "_sort": "valid_from"})}
    return Response.html(await datasette.render_template(["timeline_entity.html"], context, request=request))


async def statement(datasette, request):
    """/-/timeline/<entity>/statement[.json|.csv]: metrics as rows, periods as columns."""
    db = await timeline_database(datasette)
    key = tilde_decode(request.url_vars["entity"])
    when = _checked(_dates, request)
    data = await _read(datasette, db, pages.statement, key, when["as_of"], when["known_at"])
    redirect = _found(data, datasette, request, key, "/statement" + _format(request))
    if redirect:
        return redirect
    key = data["entity"]["key"]
    if _format(request) == ".csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(pages.statement_csv_rows(data))
        name = f"{key}-statement.csv"
        return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    links = _entity_links(datasette, db, key, request, data)
    if _format(request) == ".json":
        return _json({"entity": _entity_record(data["entity"]), "as_of": data["as_of"], "known_at": data["known_at"],
                      "groups": data["groups"], "guidance": data["guidance"], "links": links})
    show_all = request.args.get("periods") == "all"
    for group in data["groups"]:
        group["hidden"] = 0 if show_all else max(0, len(group["columns"]) - pages.STATEMENT_COLUMNS)
    context = {**data, **_common(datasette, db, request), "links": links, "show_all": show_all}
    return Response.html(await datasette.render_template(["timeline_statement.html"], context, request=request))


async def timeline_svg(datasette, request):
    """/-/timeline/<entity>/timeline.svg: the visual timeline as a standalone SVG document."""
    db = await timeline_database(datasette)
    key = tilde_decode(request.url_vars["entity"])
    when = _checked(_dates, request)
    data = await _read(datasette, db, pages.visual_timeline_page, key, when["as_of"], when["known_at"],
                       _filters(request), _years(request))
    redirect = _found(data, datasette, request, key, "/timeline.svg")
    if redirect:
        return redirect
    context = {**data, **_common(datasette, db, request), "standalone": True}
    body = await datasette.render_template(["timeline_visual.svg"], context, request=request)
    return Response(body, content_type="image/svg+xml; charset=utf-8")


async def changes(datasette, request):
    """/-/timeline/<entity>/changes[.json]?from=&to=: what the record gained between two "known at" dates."""
    db = await timeline_database(datasette)
    key = tilde_decode(request.url_vars["entity"])
    since = _checked(pages.iso_date, "from", request.args.get("from"))
    until = _checked(pages.iso_date, "to", request.args.get("to"))
    data = await _read(datasette, db, pages.changes, key, since, until)
    redirect = _found(data, datasette, request, key, "/changes" + _format(request))
    if redirect:
        return redirect
    key = data["entity"]["key"]
    dated = {"from": data["since"], "to": data["until"]}
    links = {**_entity_links(datasette, db, key, request, {}),
             "changes": entity_url(datasette, key, "/changes", **dated),
             "changes_json": entity_url(datasette, key, "/changes.json", **dated)}
    if _format(request) == ".json":
        return _json({**data, "entity": _entity_record(data["entity"]), "links": links})
    context = {**data, **_common(datasette, db, request), "links": links}
    return Response.html(await datasette.render_template(["timeline_changes.html"], context, request=request))


async def feed(datasette, request):
    """/-/timeline.atom, /-/timeline/<entity>.atom and the newest_events canned query's .atom: the newest
    events as Atom (absolute links, ids stable across rebuilds, each entry's recorded_at; an empty log
    is an empty feed, where datasette-atom would fail)."""
    db = await timeline_database(datasette)
    if "database" in request.url_vars and tilde_decode(request.url_vars["database"]) != db.name:
        raise NotFound("Database not found")
    name = request.url_vars.get("entity")
    entity = None
    if name is not None:
        key = tilde_decode(name)
        entity = await _read(datasette, db, pages.resolve_entity, key)
        redirect = _found(entity, datasette, request, key, ".atom")
        if redirect:
            return redirect
    entries = await _read(datasette, db, pages.feed, entity["key"] if entity else None)
    self_path = entity_url(datasette, entity["key"], ".atom") if entity else datasette.urls.path("/-/timeline.atom")
    page_path = entity_url(datasette, entity["key"]) if entity else datasette.urls.path("/-/timeline")
    if entity:
        title = f"{entity['name']}: newest events"
    elif "database" in request.url_vars:  # the newest_events canned query's feed: its title, the same entries
        canned = await datasette.get_canned_query(db.name, "newest_events", request.actor) or {}
        title = canned.get("title") or "Newest events"
        self_path = datasette.urls.query(db.name, "newest_events", format="atom")
    else:
        title = f"{(datasette.metadata() or {}).get('title') or 'Timeline'}: newest events"
    body = _atom(datasette, request, db, title, self_path, page_path, entries,
                 f"tag:timeline,2025:entity/{entity['key']}" if entity else "tag:timeline,2025:newest-events")
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def _atom(datasette, request, db, title, self_path, page_path, entries, feed_id):
    ET.register_namespace("", ATOM)

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: display.xml_text(v) for k, v in attributes.items()})
        if text is not None:
            element.text = display.xml_text(text)
        return element

    root = ET.Element(f"{{{ATOM}}}feed")
    add(root, "id", feed_id)
    add(root, "title", title)
    add(root, "updated", max((e["updated"] for e in entries), default="1970-01-01T00:00:00Z"))
    add(root, "link", rel="self", href=datasette.absolute_url(request, self_path))
    add(root, "link", rel="alternate", type="text/html", href=datasette.absolute_url(request, page_path))
    add(root, "generator", "timeline", version=__version__)
    for entry in entries:
        element = add(root, "entry")
        add(element, "id", entry["id"])
        add(element, "title", entry["title"])
        add(element, "updated", entry["updated"])
        add(element, "published", entry["published"])
        add(element, "link", rel="alternate", type="text/html",
            href=datasette.absolute_url(request, datasette.urls.row(db.name, "events", str(entry["seq"]))))
        add(add(element, "author"), "name", entry["entity_name"])
        add(element, "category", term=entry["kind"])
        add(element, "content", entry["content"], type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


async def event_redirect(datasette, request):
    """/-/timeline/-/events/<seq>: the event's row page in whichever database the timeline is served as
    (the address the newest_events feed links, which cannot know the database's name)."""
    db = await timeline_database(datasette)
    return Response.redirect(datasette.urls.row(db.name, "events", str(int(request.url_vars["seq"]))))


async def static_file(request):
    """The plugin's own CSS, from timeline/web/static."""
    path = STATIC / request.url_vars["path"]
    if not path.is_file() or path.parent != STATIC:
        raise NotFound("No such file")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return Response(path.read_bytes(), content_type=content_type,
                    headers={"Cache-Control": "max-age=3600"})


# ---- links and JSON shapes ----

def _site_links(datasette, db):
    urls = datasette.urls
    return {"html": urls.path("/-/timeline"), "json": urls.path("/-/timeline.json"),
            "feed": urls.path("/-/timeline.atom"), "search": urls.path("/-/timeline/-/search"),
            "database": urls.database(db.name), "download": urls.path(f"/{quote(db.name)}.db")}


def _entity_links(datasette, db, key, request, data):
    """Where the entity's pages are, each carrying the page's dates; `permalink` pins "known at"
    to the publication's latest report date, so it shows the same page however the log grows."""
    as_of, known_at = data.get("as_of"), data.get("known_at")
    dated = {"as_of": as_of, "known_at": known_at}
    params = {name: request.args.getlist(name) for name in request.args}
    pinned = {**params, "known_at": known_at or data.get("latest_report")}
    return {
        "html": entity_url(datasette, key, **dated), "json": entity_url(datasette, key, ".json", **params),
        "permalink": entity_url(datasette, key, **pinned),
        "statement": entity_url(datasette, key, "/statement", **dated),
        "statement_csv": entity_url(datasette, key, "/statement.csv", **dated),
        "statement_json": entity_url(datasette, key, "/statement.json", **dated),
        "timeline_svg": entity_url(datasette, key, "/timeline.svg", **{k: v for k, v in params.items() if k != "page"}),
        "changes": entity_url(datasette, key, "/changes"), "changes_json": entity_url(datasette, key, "/changes.json"),
        "feed": entity_url(datasette, key, ".atom"),
        "events_table": datasette.urls.table(db.name, "timeline") + "?" + urlencode({"entity": key, "_sort": "valid_from"}),
        "metric_history": datasette.urls.query(db.name, "metric_history") + "?" + urlencode({"entity": key, "metric": ""}),
    }


def _entity_record(entity):
    return {k: entity.get(k) for k in ("key", "name", "type", "parent", "fiscal_year_end", "note")}


def _entity_json(data, links, datasette, db):
    """The entity page as JSON: what the HTML shows, without the drawing."""
    event_url = lambda seq: datasette.urls.row(db.name, "events", str(seq))  # noqa: E731
    events = data["events"]
    visual = data["visual"]
    return {
        "entity": {**_entity_record(data["entity"]), "aliases": data["aliases"],
                   "parent": data["parent"], "children": data["children"]},
        "as_of": data["as_of"], "known_at": data["known_at"], "links": links,
        "state": [{"section": s["key"], "title": s["title"], "rows": [_clean(row) for row in s["rows"]]}
                  for s in data["sections"]],
        "charts": [{k: v for k, v in chart.items() if k != "svg"} for chart in data["charts"]],
        "visual_timeline": None if visual is None else {
            k: visual[k] for k in ("from_year", "to_year", "full_from", "full_to", "before", "after", "legend")},
        "events": {
            **{k: events[k] for k in ("total", "page", "pages", "page_size", "order", "filters")},
            "facets": [{"name": f["name"], "options": [{k: v[k] for k in ("value", "label", "count", "selected")}
                                                       for v in f["options"]], "more": f["more"]}
                       for f in events["facets"]],
            "items": [{**{k: v for k, v in item.items() if k not in ("colour", "lane", "changed_by_here", "target_here")},
                       "url": event_url(item["seq"])} for item in events["items"]],
        },
    }


def _clean(row):
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _common(datasette, db, request):
    urls = datasette.urls
    args = {name: request.args.getlist(name) for name in request.args}

    def link(**changes):
        """This page's URL with some parameters changed (None removes one); the page is reset."""
        params = {k: v for k, v in args.items() if k != "page"}
        params.update(changes)
        return _with_query(request.path, params)

    def toggle(name, value):
        """This page's URL with `value` added to or removed from the parameter `name`."""
        values = list(args.get(name, []))
        values = [v for v in values if v != value] if value in values else values + [value]
        return link(**{name: values})

    return {
        "database": db.name,
        "metadata": datasette.metadata(),
        "css_url": urls.path(f"/-/timeline-static/timeline.css?v={__version__}"),
        "index_url": urls.path("/-/timeline"),
        "database_url": urls.database(db.name),
        "download_url": urls.path(f"/{quote(db.name)}.db"),
        "search_url": urls.path("/-/timeline/-/search"),
        "feed_url": urls.path("/-/timeline.atom"),
        "canned_feed_url": urls.query(db.name, "newest_events", format="atom"),
        "args": args,
        "link": link,
        "toggle": toggle,
        "entity_url": lambda key, suffix="", **params: entity_url(datasette, key, suffix, **params),
        "event_url": lambda seq: urls.row(db.name, "events", str(seq)),
        "source_url": lambda source_id: urls.row(db.name, "sources", str(source_id)),
        "table_url": lambda table, **params: urls.table(db.name, table) + ("?" + urlencode(params) if params else ""),
        "query_url": lambda name, **params: urls.query(db.name, name) + ("?" + urlencode(params) if params else ""),
    }
