"""Running an aiohttp application: in a thread (tests, tools) or as a child's main loop.

`ServerThread` gives a real server on a real socket inside the calling
process, with its own event loop, for tests that talk to it with real
clients. `run_child` is the body of the web child processes: it serves until
the parent asks it to stop (a flag, never a lock), beating a heartbeat so a
hung server is noticed and restarted by the supervisor.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from aiohttp import web

from symphony.sanctuary.web.config import WebConfigError

BEAT_EVERY = 0.2  # s


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Bind and serve `app`; returns the runner and the port bound (for port 0)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise WebConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, int(bound)


class ServerThread:
    """An aiohttp application served from a thread of this process, on a real port."""

    def __init__(self, make_app: Callable[[], web.Application], host: str, port: int) -> None:
        self.make_app = make_app
        self.host = host
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="web", daemon=True)
        self.runner: web.AppRunner | None = None

    def start(self) -> ServerThread:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.runner, self.port = future.result(10.0)
        return self

    async def _start(self) -> tuple[web.AppRunner, int]:
        return await start_site(self.make_app(), self.host, self.port)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the server's loop (where its state lives) and return its result."""

        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10.0)

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5.0)


async def serve_until(
    app: web.Application,
    host: str,
    port: int,
    stopping: Callable[[], bool],
    beat: Callable[[], None],
    ready: Callable[[int], None],
) -> None:
    """Serve until `stopping()`; `ready(port)` once bound, `beat()` every BEAT_EVERY s."""
    runner, bound = await start_site(app, host, port)
    ready(bound)
    try:
        while not stopping():
            beat()
            await asyncio.sleep(BEAT_EVERY)
    finally:
        await runner.cleanup()


def lan_address() -> str:
    """This machine's address on the LAN (for 0.0.0.0), by asking the routing table only."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 9))  # UDP connect sends nothing
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def visitors_url(host: str, port: int, public_url: str | None = None) -> str:
    if public_url:
        return public_url
    if host in ("0.0.0.0", "", "::"):
        host = lan_address()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def print_address(url: str, out: TextIO | None = None) -> None:
    """The visitors' address and its QR code, on the terminal (or any text stream)."""
    import segno

    out = out or sys.stdout
    print(f"Visitors' page: {url}  (scan to join)", file=out)
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    out.flush()
