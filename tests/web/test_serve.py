"""``xueliang serve`` as a real process on 127.0.0.1: it starts, serves the login page and the OpenAPI spec."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.web.factories import WebData


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_and_stops(web_data: WebData) -> None:
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "xueliang",
        "serve",
        "--port",
        str(port),
        "--db",
        web_data.db_url,
        "--media",
        str(web_data.media),
        "--coverage",
        str(web_data.coverage),
        "--plan",
        str(web_data.plan),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=2) as r:
                    assert r.status == 200 and b'id="username"' in r.read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "xueliang serve did not answer within 30 s"
                time.sleep(0.2)
        for path, what in (("/openapi.json", "OpenAPI spec"), ("/media/sightings/1/thumbnail", "thumbnail")):
            try:
                urllib.request.urlopen(f"{base}{path}", timeout=5)
                raise AssertionError(f"{what} served without login")
            except urllib.error.HTTPError as exc:
                exc.close()
                assert exc.code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stdout is not None:
            proc.stdout.close()
