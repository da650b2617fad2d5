"""Simulated visitors: many phones on the visitors' page, for soaks and benchmarks.

Each phone is a real client: it loads the page (getting its own device
token), opens the WebSocket and sends moods at its share of a total rate,
at random phases so the room's traffic is smooth, as phones are. On a
loopback URL each phone connects from its own loopback address (Linux
routes all of 127.0.0.0/8 to `lo`), so the server's per-address limits see
a thousand phones as a thousand addresses, as on a real LAN.

`on_send(device, valence, arousal, monotonic_time)` lets a caller match
each mood to its arrival (CLOCK_MONOTONIC is one clock for every process).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

OnSend = Callable[[str, float, float, float], None]


@dataclass
class PhoneStats:
    """What the phones saw: joined, refused, moods sent, closes by reason."""

    joined: int = 0
    refused: collections.Counter[str] = field(default_factory=collections.Counter)
    sent: int = 0
    closed: collections.Counter[str] = field(default_factory=collections.Counter)
    joined_in: float = 0.0  # s from the start until the last phone joined
    started: float = field(default_factory=time.monotonic)


def source_address(i: int) -> str:
    """Phone i's own loopback address: 127.1.0.1, 127.1.0.2, ... (never 127.0.0.1)."""
    return f"127.{1 + i // 62500}.{i // 250 % 250}.{i % 250 + 1}"


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).version == 4 and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def phone(
    i: int, url: str, rate: float, seconds: float, stats: PhoneStats, on_send: OnSend | None
) -> None:
    """One phone: load the page, join, send moods at `rate` a second for `seconds`."""
    local = (source_address(i), 0) if _loopback(url) else None
    connector = aiohttp.TCPConnector(local_addr=local, limit=2)
    jar = aiohttp.CookieJar(unsafe=True)
    rng = random.Random(i)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as client:
        try:
            async with client.get(url) as page:
                if page.status != 200:
                    stats.refused[f"page {page.status}"] += 1
                    return
            ws = await client.ws_connect(url.rstrip("/") + "/ws", heartbeat=None)
        except aiohttp.WSServerHandshakeError as exc:
            stats.refused[f"socket {exc.status}"] += 1
            return
        except (aiohttp.ClientError, OSError) as exc:
            stats.refused[type(exc).__name__] += 1
            return
        stats.joined += 1
        stats.joined_in = max(stats.joined_in, time.monotonic() - stats.started)
        hello = await ws.receive_json(timeout=10)
        device = str(hello.get("device"))
        reader = asyncio.get_running_loop().create_task(_drain(ws, stats))
        until = time.monotonic() + seconds
        await asyncio.sleep(rng.uniform(0, 1 / rate))
        while time.monotonic() < until and not ws.closed:
            valence, arousal = round(rng.uniform(-1, 1), 6), round(rng.uniform(-1, 1), 6)
            if on_send is not None:
                on_send(device, valence, arousal, time.monotonic())
            with contextlib.suppress(ConnectionError):
                await ws.send_json({"type": "mood", "valence": valence, "arousal": arousal})
                stats.sent += 1
            await asyncio.sleep(rng.expovariate(rate))
        await ws.close()
        reader.cancel()


async def _drain(ws: aiohttp.ClientWebSocketResponse, stats: PhoneStats) -> None:
    """Read the room's pictures (and a close, with its reason) as a page does."""
    async for _msg in ws:
        pass
    if ws.close_code not in (None, 1000):
        stats.closed[f"{ws.close_code}"] += 1


async def phones(
    url: str,
    count: int,
    total_rate: float,
    seconds: float,
    on_send: OnSend | None = None,
    join_over: float = 5.0,
) -> PhoneStats:
    """`count` phones sending `total_rate` moods a second in all, for `seconds`.

    Every phone sends for `seconds` after it joined, so a slow start under
    load shortens nobody's share.
    """
    stats = PhoneStats()
    rate = total_rate / count

    async def later(i: int) -> None:
        await asyncio.sleep(join_over * i / count)  # people arrive; a page is not a stampede
        await phone(i, url, rate, seconds, stats, on_send)

    await asyncio.gather(*(later(i) for i in range(count)))
    return stats
