"""Running Datasette on a published file: what `timeline serve` does after publishing.

`datasette_for(path)` builds the same Datasette the server runs (tests use it
with Datasette's own client): the file attached immutable (`-i`), so `/<name>.db`
downloads it; metadata.yml, renamed to the file's database name; the timeline
plugin (loaded by its entry point); sql_time_limit_ms 3000 and
max_returned_rows 1000.
"""
import asyncio
import copy
from pathlib import Path

import yaml

from ..errors import TimelineError

SETTINGS = {"sql_time_limit_ms": 3000, "max_returned_rows": 1000}
METADATA_DATABASE = "timeline"  # the key metadata.yml describes the published database under
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def default_metadata_path():
    """metadata.yml in the working directory, else the project's own."""
    for candidate in (Path.cwd() / "metadata.yml", PROJECT_ROOT / "metadata.yml"):
        if candidate.is_file():
            return candidate
    return None


def load_metadata(path, database_name):
    """Metadata from `path` (YAML or JSON), its database section keyed by `database_name`."""
    if path is None:
        return {}
    try:
        metadata = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise TimelineError(f"cannot read metadata {path}: {error}") from None
    if not isinstance(metadata, dict):
        raise TimelineError(f"metadata {path} must be a mapping")
    databases = metadata.get("databases") or {}
    if database_name != METADATA_DATABASE and METADATA_DATABASE in databases and database_name not in databases:
        metadata = copy.deepcopy(metadata)
        metadata["databases"][database_name] = metadata["databases"].pop(METADATA_DATABASE)
    return metadata


def datasette_for(path, metadata_path=None, template_dir=None, settings=None):
    """A Datasette serving the published file at `path` the way `timeline serve` does."""
    from datasette.app import Datasette

    path = Path(path)
    if not path.is_file():
        raise TimelineError(f"no published file at {path} (run `timeline publish {path}`)")
    metadata = load_metadata(metadata_path, path.stem)
    return Datasette(
        [], immutables=[str(path)], metadata=metadata,
        template_dir=str(template_dir) if template_dir else None,
        settings={**SETTINGS, **(settings or {})},
    )


def serve(path, host="127.0.0.1", port=8001, metadata_path=None, template_dir=None, echo=print):
    """Run Datasette on the published file until interrupted."""
    import uvicorn

    ds = datasette_for(path, metadata_path, template_dir)
    asyncio.run(ds.invoke_startup())
    shown_host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    base = f"http://{shown_host}:{port}"
    echo(f"Serving {path} at {base}/ - open {base}/-/timeline for the entity timelines "
         f"(download: {base}/{Path(path).stem}.db). Press Ctrl-C to stop.")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
