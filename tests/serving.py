"""Running `timeline serve` for a test as a user runs it: a real process on a
free port of 127.0.0.1, waited for, and stopped afterwards."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

from .conftest import ROOT


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def timeline_serve(db, directory, out):
    """Yield (base URL, what serve printed so far) while `timeline serve` runs."""
    port = free_port()
    log = open(directory / "serve.log", "w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-c", "from timeline.cli import cli; cli()", "--db", str(db), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--out", str(out), "--metadata", str(ROOT / "metadata.yml")],
        cwd=directory, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise AssertionError(f"timeline serve exited with {process.returncode}:\n{log.read()}")
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("timeline serve did not answer within 60 seconds")
            time.sleep(0.1)
        log.seek(0)
        yield base, log.read()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
