"""Real web servers for the tests: the apps served from a thread, on a real port."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp

from symphony.sanctuary.web import Audience, AudienceConfig, ServerThread, StatusFeed


@dataclass
class Served:
    audience: Audience
    server: ServerThread
    moods: queue.Queue
    status: queue.Queue

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def take(self, timeout: float = 5.0) -> object:
        return self.moods.get(timeout=timeout)


@contextmanager
def audience_server(**limits: object) -> Iterator[Served]:
    moods: queue.Queue = queue.Queue(maxsize=10000)
    status: queue.Queue = queue.Queue()
    audience = Audience(AudienceConfig(**limits), moods, StatusFeed(status))  # type: ignore[arg-type]
    server = ServerThread(audience.app, "127.0.0.1", 0).start()
    try:
        yield Served(audience, server, moods, status)
    finally:
        server.stop()


def session() -> aiohttp.ClientSession:
    """A client that keeps cookies for an IP address host, like a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `condition` until it holds (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
