"""The web servers as real child processes, fed by the show's real lanes and mailbox."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
import signal
import socket

import aiohttp
import pytest

from symphony.child import Mailbox
from symphony.collective.intake import Mood
from symphony.engine.lanes import MessageLane
from symphony.errors import SymphonyError
from symphony.sanctuary.web import (
    AudienceConfig,
    AudienceProcess,
    OperatorConfig,
    OperatorProcess,
    SetScene,
)
from tests.sanctuary.helpers import session, until


async def _mood(base: str) -> None:
    async with session() as client:
        async with client.get(base + "/"):
            pass
        ws = await client.ws_connect(base + "/ws")
        await ws.receive_json(timeout=5)
        await ws.send_json({"type": "mood", "valence": -0.5, "arousal": 0.25})
        await ws.close()


def _take(lane: MessageLane, timeout: float = 10.0) -> object:
    return lane.get(timeout=timeout)


def test_the_audience_child_serves_is_restarted_and_stops() -> None:
    ctx = mp.get_context("spawn")
    moods, status = MessageLane(ctx), Mailbox(ctx)
    audience = AudienceProcess(AudienceConfig(port=0), moods, status)
    audience.start(announce=False)
    try:
        assert audience.ready() and audience.pid != os.getpid()
        asyncio.run(_mood(f"http://127.0.0.1:{audience.port}"))
        got = _take(moods)
        assert isinstance(got, Mood) and (got.valence, got.arousal) == (-0.5, 0.25)
        assert until(lambda: audience.counts()["devices"] == 1)
        assert audience.counts()["sockets"] == 0 and audience.counts()["dropped"] == 0
        os.kill(audience.pid or 0, signal.SIGKILL)  # a crash of the web server
        assert until(lambda: not audience.alive())
        audience.restart()  # what the supervisor does
        assert until(audience.ready)
        asyncio.run(_mood(f"http://127.0.0.1:{audience.port}"))
        assert isinstance(_take(moods), Mood)
    finally:
        audience.stop(1.0)
    assert not audience.alive()


def test_the_operator_child_reads_the_mailbox_and_sends_commands() -> None:
    ctx = mp.get_context("spawn")
    commands, status = MessageLane(ctx), Mailbox(ctx)
    operator = OperatorProcess(OperatorConfig(port=0), commands, status)
    operator.start()
    base = f"http://127.0.0.1:{operator.port}"

    async def health() -> int:
        async with aiohttp.ClientSession() as client, client.get(base + "/health") as r:
            return r.status

    async def scene() -> int:
        body = {"scene": "night"}
        async with (
            aiohttp.ClientSession() as client,
            client.post(base + "/control/scene", json=body) as r,
        ):
            return r.status

    try:
        status.put_nowait({"last_block_age": 0.0, "scenes": ["night"]})
        assert asyncio.run(health()) == 200
        assert asyncio.run(scene()) == 202
        assert commands.get(timeout=10.0) == SetScene("night")
        with pytest.raises(queue.Empty):
            commands.get(timeout=0.1)
    finally:
        operator.stop(1.0)


def test_a_busy_port_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ctx = mp.get_context("spawn")
        operator = OperatorProcess(OperatorConfig(port=port), MessageLane(ctx), Mailbox(ctx))
        with pytest.raises(SymphonyError, match=f"cannot listen on 127.0.0.1:{port}"):
            operator.start()
        assert not operator.alive()
