"""A throwaway PostgreSQL cluster for one test run.

`cluster()` starts one server the first time a test asks for it and stops it
when the test process exits (atexit; with pytest-xdist, one per worker).  It
is built for speed and for leaving nothing behind:

- `initdb` into a fresh temporary directory, trust authentication, no fsync
  (fsync=off, synchronous_commit=off, full_page_writes=off): the data is thrown
  away, so durability buys nothing;
- it listens on 127.0.0.1 on a free port and on a unix socket inside the
  temporary directory, so it never meets another server on this machine;
- the default collation is ICU `en-US` when the server supports it: ordering
  by text then differs from SQLite's byte order the way it does on a typical
  production server, so a query that relies on byte order fails here too;
- PostgreSQL refuses to run as root, so when we are root the server runs as
  an unprivileged account (`nobody`, or TIMELINE_PG_USER), owning the
  temporary directory; the server also gets SIGQUIT (immediate shutdown) if
  the test process dies without running atexit;
- `stop()` is `pg_ctl stop -m immediate`, then the directory is removed.

Each test gets its own database (`CREATE DATABASE t_<random>`), dropped
afterwards with `DROP DATABASE … WITH (FORCE)`, so a connection a test left
open cannot keep it alive.

The server binaries come from the Debian package `postgresql`
(/usr/lib/postgresql/<version>/bin); TIMELINE_PG_BIN points elsewhere.
"""
import atexit
import ctypes
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from timeline.publish import process_alive

SERVER_PROGRAMS = ("initdb", "postgres", "pg_ctl")
MISSING = "PostgreSQL server binaries not found (Debian package postgresql)"
SUPERUSER = "postgres"
DIR_PREFIX = "timeline-pg-"
START_TIMEOUT = 60


def bin_dir():
    """The directory holding initdb, postgres and pg_ctl, or None."""
    candidates = []
    if os.environ.get("TIMELINE_PG_BIN"):
        candidates.append(os.environ["TIMELINE_PG_BIN"])
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(debian, key=lambda p: _version(p), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if all(os.access(Path(candidate, program), os.X_OK) for program in SERVER_PROGRAMS):
            return candidate
    return None


def _version(path):
    try:
        return int(Path(path).parent.name)
    except ValueError:
        return 0


def missing_reason():
    """None when a cluster can be started here, else why not (a skip reason)."""
    if bin_dir() is None:
        return MISSING
    return None


class ClusterError(RuntimeError):
    pass


class Cluster:
    """One PostgreSQL server in a temporary directory."""

    def __init__(self, bindir):
        self.bindir = Path(bindir)
        self.directory = None
        self.process = None
        self.port = None
        self.user = None  # (uid, gid) the server runs as, or None for ourselves

    # ---- lifecycle ----

    def start(self):
        _remove_stale_clusters()
        self.user = _server_account()
        self.directory = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=_base_directory(self.user)))
        (self.directory / "owner.pid").write_text(str(os.getpid()))
        (self.directory / "socket").mkdir()
        if self.user:
            os.chmod(self.directory, 0o755)
            for path in (self.directory, self.directory / "socket"):
                os.chown(path, *self.user)
        try:
            self._initdb()
            for _attempt in range(3):
                self.port = _free_port()
                if self._run_server():
                    return self
            raise ClusterError(f"PostgreSQL did not start:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _initdb(self):
        data = self.directory / "data"
        common = [str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                  "--no-sync", "--encoding=UTF8", "--no-instructions"]
        # ICU en-US collation when the server has it (like a production server with
        # an en_US.UTF-8 default), else whatever C.UTF-8 gives
        attempts = [common + ["--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US"],
                    common + ["--locale=C.UTF-8"], common + ["--locale=C"]]
        for arguments in attempts:
            if data.exists():
                shutil.rmtree(data)
            result = subprocess.run(arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    preexec_fn=self._as_server_user, cwd=self.directory, text=True)
            if result.returncode == 0:
                return
        raise ClusterError(f"initdb failed:\n{result.stdout[-3000:]}")

    def _run_server(self):
        log = open(self.directory / "server.log", "ab")
        settings = {
            "listen_addresses": "127.0.0.1", "port": str(self.port),
            "unix_socket_directories": str(self.directory / "socket"),
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "max_connections": "200", "shared_buffers": "32MB",
            "logging_collector": "off", "log_checkpoints": "off",
        }
        arguments = [str(self.bindir / "postgres"), "-D", str(self.directory / "data")]
        for name, value in settings.items():
            arguments += ["-c", f"{name}={value}"]
        self.process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory,
                                        preexec_fn=self._server_child, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # e.g. the port was taken after all: try another
            if self._accepts_connections():
                return True
            time.sleep(0.05)
        self._kill()
        raise ClusterError(f"PostgreSQL did not accept connections in {START_TIMEOUT} s:\n{self.log_tail()}")

    def _accepts_connections(self):
        import psycopg
        try:
            psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def stop(self):
        """Stop the server at once and remove its directory."""
        if self.process is not None and self.process.poll() is None:
            data = self.directory / "data"
            subprocess.run([str(self.bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "30"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=self._as_server_user)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._kill()
        self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def _kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, size=3000):
        try:
            return (self.directory / "server.log").read_text(errors="replace")[-size:]
        except (OSError, TypeError):
            return "(no server log)"

    # ---- running as the unprivileged account ----

    def _as_server_user(self):
        if self.user:
            uid, gid = self.user
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)

    def _server_child(self):
        self._as_server_user()
        # after the uid change, which would clear it: if we die, so does the server
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)
        os.setsid()  # a ^C in the terminal goes to pytest, which then stops us cleanly

    # ---- databases ----

    def dsn(self, database):
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database, user=SUPERUSER, password=None):
        credentials = f"{user}:{password}" if password else user
        return f"postgresql+psycopg://{credentials}@127.0.0.1:{self.port}/{database}"

    def execute(self, *statements, database="postgres"):
        """Run statements in autocommit mode (CREATE DATABASE cannot run in a transaction)."""
        import psycopg
        with psycopg.connect(self.dsn(database), autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def create_database(self):
        """A new, empty database; returns its name."""
        name = f"t_{secrets.token_hex(6)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name):
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_account():
    """(uid, gid) of the account the server runs as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("TIMELINE_PG_USER", "nobody")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise ClusterError(f"PostgreSQL cannot run as root and there is no user {name!r} to run it as "
                           f"(create one with `useradd --system {name}`, or set TIMELINE_PG_USER)") from None
    return entry.pw_uid, entry.pw_gid


def _base_directory(user):
    """The temporary directory, unless the server's account could not reach into it (then /tmp)."""
    base = Path(tempfile.gettempdir()).resolve()
    if user is None:
        return base
    for directory in (base, *base.parents):
        if not directory.stat().st_mode & 0o001:  # not searchable by other users
            return Path("/tmp")
    return base


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _remove_stale_clusters():
    """Remove directories left by test runs that were killed (their owner and server are gone)."""
    bases = {Path(tempfile.gettempdir()).resolve(), Path("/tmp")}
    for directory in (found for base in bases for found in base.glob(f"{DIR_PREFIX}*")):
        try:
            owner = int((directory / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if process_alive(owner):
            continue
        try:
            postmaster = int((directory / "data" / "postmaster.pid").read_text().split()[0])
            if process_alive(postmaster):
                continue
        except (OSError, ValueError, IndexError):
            pass
        shutil.rmtree(directory, ignore_errors=True)


# ---- the one cluster of this test process ----

_lock = threading.Lock()
_cluster = None
_failure = None


def cluster():
    """The running cluster, started on first use; stopped when the process exits."""
    global _cluster, _failure
    with _lock:
        if _cluster is None:
            if _failure is not None:
                raise ClusterError(f"the PostgreSQL test cluster could not be started: {_failure}")
            bindir = bin_dir()
            if bindir is None:
                raise ClusterError(MISSING)
            try:
                started = Cluster(bindir).start()
            except Exception as error:
                _failure = error
                raise
            atexit.register(started.stop)
            _cluster = started
        return _cluster
