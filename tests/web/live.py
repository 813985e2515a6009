"""The app under uvicorn on 127.0.0.1 on a free port, in a thread (browser and raw-socket tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from xueliang.web.settings import WebSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(settings: WebSettings) -> Iterator[str]:
    """Yield the base URL while the server runs; stop it afterwards."""
    import uvicorn

    from xueliang.web.app import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def log_in(page: Any, base: str, role: str, password: str) -> None:
    """Log ``page`` (a playwright page) in as ``role`` through the login form and wait for the next page."""
    page.goto(f"{base}/login")
    page.fill("#username", role)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
