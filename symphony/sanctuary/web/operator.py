"""Operator HTTP: /health, a status page, /collective, and control of the show.

Every request must come from an address in the allow list (by default
loopback only). Reading (health, status, collective) needs nothing more;
control (scene, master level, pause, panic) needs the control token, when
one is configured, as `Authorization: Bearer <token>`, compared in constant
time. A refusal is one log line naming the client and why. Control becomes
a command (`commands.py`) put onto the caller's queue, never applied here:
this process has no sound in it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import queue
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from symphony.sanctuary.web.commands import CommandError, parse_command
from symphony.sanctuary.web.config import OperatorConfig, allow_networks
from symphony.sanctuary.web.status import StatusFeed, collective, finite, health

log = logging.getLogger("symphony.web.operator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 4096


class Operator:
    """The operator's aiohttp application: allow list, token, and the command queue."""

    def __init__(
        self,
        config: OperatorConfig,
        commands: Any,
        feed: StatusFeed,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config.check()
        self.networks = allow_networks(config.allow)
        self.commands = commands
        self.feed = feed
        self.clock = clock
        folder = resources.files("symphony.sanctuary.web") / "static"
        self.page = (folder / "status.html").read_bytes()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._allowed], client_max_size=MAX_BODY)
        app.router.add_get("/health", self.health)
        app.router.add_get("/collective", self.collective)
        app.router.add_get("/", self.status_page)
        app.router.add_get("/status", self.status_page)
        app.router.add_post("/control/{action}", self.control)
        return app

    @web.middleware
    async def _allowed(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse (403) any address outside the allow list, before anything else runs."""
        address = request.remote or "?"
        if not self.admits(address):
            log.warning(
                "operator: %s: refused %s %s: not in the allow list",
                address,
                request.method,
                request.path,
            )
            return _json(403, {"error": f"address {address} is not in the allow list"})
        return await handler(request)

    def admits(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == n.version and ip in n for n in self.networks)

    async def health(self, request: web.Request) -> web.Response:
        snapshot = self.feed.poll()
        status, body = health(snapshot, self.feed.age(), self.config.block_age_limit)
        return _json(status, body)

    async def collective(self, request: web.Request) -> web.Response:
        return _json(200, collective(self.feed.poll()))

    async def status_page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.page, content_type="text/html", headers={"Cache-Control": "no-store"}
        )

    async def control(self, request: web.Request) -> web.Response:
        address = request.remote or "?"
        action = request.match_info["action"]
        if not self.authorised(request):
            log.warning("operator: %s: refused control %s: missing or wrong token", address, action)
            return _json(
                401, {"error": "control needs the operator's token (Authorization: Bearer)"}
            )
        try:
            body = await _body(request)
            snapshot = self.feed.poll() or {}
            scenes = snapshot.get("scenes")
            command = parse_command(action, body, scenes if isinstance(scenes, list) else None)
        except (CommandError, web.HTTPRequestEntityTooLarge) as exc:
            log.warning("operator: %s: bad control %s: %s", address, action, _reason(exc))
            return _json(400, {"error": _reason(exc)})
        try:
            self.commands.put_nowait(command)
        except queue.Full:
            log.warning(
                "operator: %s: control %s dropped: the show's queue is full", address, action
            )
            return _json(503, {"error": "the show is not taking commands now"})
        log.info("operator: %s: control %s", address, command)
        return _json(202, {"accepted": action, "command": repr(command)})

    def authorised(self, request: web.Request) -> bool:
        """With a token configured, the request carries it; compared in constant time."""
        token = self.config.token
        if token is None:
            return True
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), token.encode())


async def _body(request: web.Request) -> Any:
    """The JSON body, None when there is none; bad JSON is a CommandError."""
    if not request.can_read_body:
        return None
    text = await request.text()
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CommandError(f"the body is not JSON: {exc}") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return f"the body is too large (at most {MAX_BODY} bytes)"
    return str(exc)


def _json(status: int, body: Any) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(finite(body), allow_nan=False, default=str),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
