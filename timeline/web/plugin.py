"""The timeline Datasette plugin: entity pages, charts, and links between rows.

Registered by the `datasette` entry point (pyproject.toml).  It adds:

- /-/timeline                 the index of entities (linked from the menu and
                              the home page description);
- /-/timeline/<entity>        one entity: its state (now, as of a date, as known
                              at a date), metric charts drawn as SVG on the
                              server, relationships, and the timeline of its
                              events with sources, corrections and retractions;
- /-/timeline-static/<file>   the plugin's CSS (no scripts, no fonts: the site
                              works offline);
- render_cell links: entity keys go to the entity page, event ids to the
  event, source keys to the source, in every table and view of the database.

The database is the attached file with a `publication` table (the first one),
or the one named by plugin configuration `plugins: timeline: database: NAME`.
Templates (timeline_index.html, timeline_entity.html, _timeline_chart.html)
are found after Datasette's own search path, so a --template-dir copy of one
of them wins.  Every value is rendered through Jinja's autoescaping.
"""
import mimetypes
import sqlite3
import threading
import weakref
from pathlib import Path
from urllib.parse import quote, urlencode

import markupsafe
import sqlalchemy as sa
from datasette import hookimpl
from datasette.utils import escape_fts, tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import __version__, dates, display
from ..registry import fold
from . import pages
from .pages import safe_url

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PLUGIN = "timeline"

ENTITY_COLUMNS = {"entity", "counterparty", "parent"}
EVENT_ID_COLUMNS = {"supersedes", "retracts", "changed_by", "changed_event"}
ENTITY_KEY_TABLES = {"entities", "entity_summary"}

_timeline_databases = weakref.WeakKeyDictionary()  # Datasette -> [database names]
_engines = {}
_engines_lock = threading.Lock()


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


async def _read(datasette, db, function, *args):
    """Run function(sqlalchemy connection, *args) on Datasette's database threads."""
    engine = _engine(db)

    def run(_datasette_connection):
        with engine.connect() as conn:
            return function(conn, *args)

    return await db.execute_fn(run)


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


@hookimpl
def prepare_connection(conn):
    # escape_fts(text): a search box's words as FTS5 phrases, so "10-Q" or "R&D" never
    # raises an FTS syntax error; period_label(from, to, precision): "Q2 2025";
    # fold_name(text): a name folded as the registry folds it, to look up entity_names
    conn.create_function("escape_fts", 1, lambda text: escape_fts(text or ""), deterministic=True)
    conn.create_function("fold_name", 1, lambda text: fold(text or ""), deterministic=True)
    conn.create_function("period_label", 3, _period_label_sql, deterministic=True)


def _period_label_sql(valid_from, valid_to, precision):
    if valid_from is None or valid_to is None or precision is None:
        return None
    return display.period(valid_from, valid_to, precision)


@hookimpl
def register_routes():
    return [
        (r"^/-/timeline$", entity_index),
        (r"^/-/timeline/(?P<entity>[^/]+)$", entity_page),
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


def entity_url(datasette, key, **params):
    url = datasette.urls.path(f"/-/timeline/{tilde_encode(str(key))}")
    params = {k: v for k, v in params.items() if v}
    return f"{url}?{urlencode(params)}" if params else url


# ---- views: one per kind of page ----

async def entity_index(datasette, request):
    """/-/timeline: every entity, with counts and links."""
    db = await timeline_database(datasette)
    data = await _read(datasette, db, pages.entity_index)
    context = {
        **data, **_common(datasette, db),
        "queries": await datasette.get_canned_queries(db.name, request.actor),
    }
    return Response.html(await datasette.render_template(["timeline_index.html"], context, request=request))


async def entity_page(datasette, request):
    """/-/timeline/<entity>?as_of=&known_at=: one entity's state, charts and timeline."""
    db = await timeline_database(datasette)
    key = tilde_decode(request.url_vars["entity"])
    errors, when = [], {}
    for name in ("as_of", "known_at"):
        text = (request.args.get(name) or "").strip()
        if not text:
            when[name] = None
            continue
        try:
            when[name] = dates.parse_iso(text).isoformat()
        except dates.DateError as error:
            errors.append(f"{name.replace('_', ' ')}: {error}")
            when[name] = None
    data = await _read(datasette, db, pages.entity_page, key, when["as_of"], when["known_at"])
    if data is None:
        raise NotFound(f"No entity is called {key!r}")
    if isinstance(data, pages.Lookup):
        return Response.redirect(entity_url(datasette, data.redirect_to, as_of=request.args.get("as_of"),
                                            known_at=request.args.get("known_at")))
    key = data["entity"]["key"]
    table_params = {"_sort": "valid_from"}
    context = {
        **data, **_common(datasette, db),
        "errors": errors,
        "events_table_url": datasette.urls.table(db.name, "timeline") + "?" + urlencode({"entity": key, **table_params}),
        "counterparty_table_url": datasette.urls.table(db.name, "timeline") + "?" + urlencode({"counterparty": key, **table_params}),
        "entity_row_url": datasette.urls.table(db.name, "entities") + "?" + urlencode({"key": key}),
        "history_url": datasette.urls.query(db.name, "metric_history"),
    }
    html = await datasette.render_template(["timeline_entity.html"], context, request=request)
    return Response.html(html, status=400 if errors else 200)


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


def _common(datasette, db):
    urls = datasette.urls
    return {
        "database": db.name,
        "metadata": datasette.metadata(),
        "css_url": urls.path(f"/-/timeline-static/timeline.css?v={__version__}"),
        "index_url": urls.path("/-/timeline"),
        "database_url": urls.database(db.name),
        "download_url": urls.path(f"/{quote(db.name)}.db"),
        "search_url": urls.table(db.name, "timeline"),
        "feed_url": urls.query(db.name, "newest_events", format="atom"),
        "entity_url": lambda key, **params: entity_url(datasette, key, **params),
        "event_url": lambda seq: urls.row(db.name, "events", str(seq)),
        "source_url": lambda source_id: urls.row(db.name, "sources", str(source_id)),
        "table_url": lambda table, **params: urls.table(db.name, table) + ("?" + urlencode(params) if params else ""),
        "query_url": lambda name, **params: urls.query(db.name, name) + ("?" + urlencode(params) if params else ""),
    }
