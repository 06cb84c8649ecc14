"""Writing a file a command produces (an export, a draft) without destroying anything else.

An existing file is replaced only when the user says --force, and never when
it is a device, a directory or a symbolic link: `export -o /dev/null` as root
must not turn the device into a regular file.  The text is written to a
temporary file beside the target and renamed over it, so a reader (or a
crash) sees the old file or the new one, never half of one.
"""
import os
import tempfile
from pathlib import Path

from .errors import TimelineError


def check_writable(path, force=False):
    """Raise TimelineError unless `path` may be (over)written."""
    path = Path(path)
    try:
        if path.is_symlink():
            raise TimelineError(f"{path} is a symbolic link; write to the file itself")
        if path.is_dir():
            raise TimelineError(f"{path} is a directory; give the path of a file")
        if path.exists() and not path.is_file():
            raise TimelineError(f"{path} is not a regular file (a device or a pipe); it will not be replaced")
        if path.exists() and not force:
            raise TimelineError(f"{path} exists; pass --force to overwrite it")
    except OSError as error:
        raise TimelineError(f"cannot write {path}: {error.strerror or error}") from None


def write_text(path, text, force=False, make_parents=False):
    """Write `text` to `path` atomically, after check_writable."""
    write_chunks(path, [text], force, make_parents)


def write_chunks(path, chunks, force=False, make_parents=False):
    """Write the text `chunks` (any iterable, read as it is written) to `path` atomically, after
    check_writable: an export of any size never has to exist in memory whole."""
    path = Path(path)
    check_writable(path, force)
    tmp = None
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.chmod(tmp, 0o666 & ~_umask())  # what open() would have given, not mkstemp's 0600
        os.replace(tmp, path)
        tmp = None
    except OSError as error:
        raise TimelineError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
