"""The visitors' page server: a mood pad over a WebSocket, and the room's mood in return.

aiohttp serves three static files and one WebSocket. A visitor's page gets
a device token (an HttpOnly cookie, the only one) when it loads; the socket
is accepted only with a token this server issued, and every mood it sends is
that device's, whatever the message says. Moods and "take my mood out"
(`Leave`) go onto the caller's queue as `symphony.collective.intake`
messages and never wait: a full queue drops a mood (a Leave is retried).

Each limit is refused in words: HTTP 429 before a socket opens (too many
sockets from one address, a full room, too many devices from one address),
or a WebSocket close with a reason (too many messages, too big a message).
aiohttp's heartbeat drops sockets whose page stopped answering. A bad
request is one log line naming the client's address and device.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import queue
import time
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from symphony.collective.intake import IntakeError, Leave, Mood, mood
from symphony.sanctuary.web.config import AudienceConfig
from symphony.sanctuary.web.limits import Counter, Device, Devices, LogLimit, TokenBucket
from symphony.sanctuary.web.status import StatusFeed, room_picture

COOKIE = "symphony_device"
FILES = {
    "index.html": "text/html",
    "app.js": "application/javascript",
    "style.css": "text/css",
}
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CLOSE_RATE = 4008  # application close codes: the reason says more
CLOSE_SIZE = int(WSCloseCode.MESSAGE_TOO_BIG)
TICK = 0.1  # s between retries of pending Leaves
SEND_WAIT = 0.5  # s a page may take to accept the room's picture
TICKS = web.AppKey("ticks", asyncio.Task)
log = logging.getLogger("symphony.web.audience")


def static_files() -> dict[str, bytes]:
    """The page's files, read once from the package (no path ever comes from a request)."""
    folder = resources.files("symphony.sanctuary.web") / "static"
    return {name: (folder / name).read_bytes() for name in FILES}


class Audience:
    """The visitors' page as an aiohttp application, with its limits and its queues."""

    def __init__(
        self,
        config: AudienceConfig,
        moods: Any,
        feed: StatusFeed,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config.check()
        self.moods = moods
        self.feed = feed
        self.clock = clock
        self.devices = Devices(config.devices_per_address, config.device_idle)
        self.sockets = Counter(config.sockets_per_address, config.max_clients)
        self.open: dict[web.WebSocketResponse, int] = {}  # socket: its picture slot
        self.opened = 0
        self.pending: collections.deque[Leave] = collections.deque(maxlen=10000)
        self.dropped = 0
        self.noisy = LogLimit()
        self.files = static_files()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_message_bytes)
        app.router.add_get("/", self.index)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/ws", self.socket)
        app.router.add_get("/token", self.token)
        app.on_startup.append(self._start_ticks)
        app.on_shutdown.append(self._close_all)
        return app

    # -- pages ---------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        """The page; a device without a valid token gets a new one (a few per address)."""
        return self._with_device(request, self._file("index.html"))

    async def token(self, request: web.Request) -> web.Response:
        """A page whose token was forgotten (idle, or a server restart) asks for a new one."""
        return self._with_device(request, web.json_response({"ok": True}, headers=HEADERS))

    def _with_device(self, request: web.Request, response: web.Response) -> web.Response:
        now = self.clock()
        address = request.remote or "?"
        if self.devices.lookup(request.cookies.get(COOKIE), now) is not None:
            return response
        issued = self.devices.issue(address, now)
        if issued is None:
            why = f"too many devices from this address (at most {self.config.devices_per_address})"
            self.warn(address, "audience: %s: refused a new device: %s", address, why)
            return web.Response(status=429, text=why + "\n", headers=HEADERS)
        token, _device = issued
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="Strict", path="/", max_age=86400
        )
        return response

    def warn(self, address: str, text: str, *args: Any) -> None:
        """One log line naming the client, a few a minute per address at most."""
        write, hidden = self.noisy.allow(address, self.clock())
        if write:
            more = f" ({hidden} more from this address not logged)" if hidden else ""
            log.warning(text + "%s", *args, more)

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in FILES or name == "index.html":
            raise web.HTTPNotFound()
        return self._file(name)

    def _file(self, name: str) -> web.Response:
        return web.Response(body=self.files[name], content_type=FILES[name], headers=HEADERS)

    # -- the socket ----------------------------------------------------------

    async def socket(self, request: web.Request) -> web.StreamResponse:
        address = request.remote or "?"
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            self.warn(address, "audience: %s: refused a WebSocket from page %s", address, origin)
            return web.Response(status=403, text="only the visitors' page may connect\n")
        device = self.devices.lookup(request.cookies.get(COOKIE), self.clock())
        if device is None:
            self.warn(address, "audience: %s: WebSocket without a device token of ours", address)
            return web.Response(status=403, text="no device token: reload the page\n")
        refusal = self.sockets.refusal(address)
        if refusal is not None:
            self.warn(
                address,
                "audience: %s (%s): refused a WebSocket: %s",
                address,
                device.device,
                refusal,
            )
            return web.Response(status=429, text=refusal + "\n", headers=HEADERS)
        ws = web.WebSocketResponse(
            heartbeat=self.config.heartbeat,
            compress=False,  # tiny messages; deflate would cost ~100 KiB per socket
            max_msg_size=max(65536, 4 * self.config.max_message_bytes),
        )
        await ws.prepare(request)
        self.sockets.open(address)
        self.opened += 1
        self.open[ws] = self.opened
        try:
            await self._serve(ws, address, device)
        finally:
            self.sockets.close(address)
            self.open.pop(ws, None)
        return ws

    async def _serve(self, ws: web.WebSocketResponse, address: str, device: Device) -> None:
        cfg = self.config
        bucket = TokenBucket(cfg.messages_per_second, cfg.burst, self.clock())
        await ws.send_json({"type": "hello", "device": device.device, "room": self.picture()})
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:  # the connection broke; aiohttp closes it
                return
            if msg.type != WSMsgType.TEXT:
                why = f"send text (JSON) messages only, not {msg.type.name}"
                await self._refuse(ws, address, device, 1003, why)
                return
            if len(msg.data.encode()) > cfg.max_message_bytes:
                why = f"message too big: at most {cfg.max_message_bytes} bytes"
                await self._refuse(ws, address, device, CLOSE_SIZE, why)
                return
            if not bucket.take(self.clock()):
                why = f"too many messages: at most {cfg.messages_per_second:g} a second"
                await self._refuse(ws, address, device, CLOSE_RATE, why)
                return
            reply = self.handle(msg.data, address, device)
            if reply is not None:
                await ws.send_json(reply)

    async def _refuse(
        self, ws: web.WebSocketResponse, address: str, device: Device, code: int, why: str
    ) -> None:
        self.warn(address, "audience: %s (%s): closed: %s", address, device.device, why)
        await ws.close(code=code, message=why.encode())

    def handle(self, text: str, address: str, device: Device) -> dict[str, Any] | None:
        """One message from a page: a mood or a leave, always for this page's own device."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise IntakeError("a message must be a JSON object")
            kind = data.get("type")
            if kind == "mood":
                self.put(mood(device.device, data.get("valence"), data.get("arousal")))
                return None
            if kind == "leave":
                self.put(Leave(device.device))
                return {"type": "left"}
            raise IntakeError(f"unknown message type {kind!r} (mood or leave)")
        except (ValueError, IntakeError) as exc:  # JSONDecodeError is a ValueError
            self.warn(address, "audience: %s (%s): bad message: %s", address, device.device, exc)
            return {"type": "error", "error": str(exc)}

    def put(self, message: Mood | Leave) -> None:
        try:
            self.moods.put_nowait(message)
        except queue.Full:
            if isinstance(message, Leave):
                self.pending.append(message)  # consent is never dropped: retried each tick
            else:
                self.dropped += 1

    # -- the room's picture --------------------------------------------------

    def picture(self) -> dict[str, float] | None:
        return room_picture(self.feed.poll())

    async def _start_ticks(self, app: web.Application) -> None:
        app[TICKS] = asyncio.get_running_loop().create_task(self._ticks())

    async def _ticks(self) -> None:
        """Retry pending Leaves often; send every page the room's picture now and then.

        The pictures are staggered: each tick serves the pages of one slot, so
        every page hears once per `picture_every` and a thousand pages never
        cost one burst (a burst delayed every mood behind it by a tenth of a
        second here, at 100 pages).
        """
        tick = 0
        while True:
            await asyncio.sleep(TICK)
            tick += 1
            while self.pending:
                try:
                    self.moods.put_nowait(self.pending[0])
                except queue.Full:
                    break
                self.pending.popleft()
            slots = max(1, round(self.config.picture_every / TICK))
            due = [ws for ws, n in self.open.items() if not ws.closed and n % slots == tick % slots]
            if due:
                await self._broadcast(due, json.dumps({"type": "room", "room": self.picture()}))

    async def _broadcast(self, sockets: list[web.WebSocketResponse], text: str) -> None:
        """To these pages at once; a page too slow to take it within SEND_WAIT misses it."""
        await asyncio.gather(*(self._send(ws, text) for ws in sockets))

    async def _send(self, ws: web.WebSocketResponse, text: str) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            await asyncio.wait_for(ws.send_str(text), SEND_WAIT)

    async def _close_all(self, app: web.Application) -> None:
        app[TICKS].cancel()
        for ws in list(self.open):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"the show is stopping")
