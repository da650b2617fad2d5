"""Operator HTTP against a real client: health, collective, and control behind its doors."""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest

from symphony.sanctuary.web import (
    Operator,
    OperatorConfig,
    Panic,
    Pause,
    ServerThread,
    SetLevel,
    SetScene,
    StatusFeed,
    make_control_token,
)

TOKEN = make_control_token()


@contextmanager
def operator_server(**config: Any) -> Iterator[tuple[str, queue.Queue, queue.Queue]]:
    commands: queue.Queue = queue.Queue()
    status: queue.Queue = queue.Queue()
    operator = Operator(OperatorConfig(**config), commands, StatusFeed(status))
    server = ServerThread(operator.app, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{server.port}", commands, status
    finally:
        server.stop()


async def _call(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as client, client.request(method, url, **kwargs) as r:
        return r.status, await r.json(content_type=None)


def _request(method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    return asyncio.run(_call(method, url, **kwargs))


def test_health_is_200_while_blocks_advance_and_503_when_not() -> None:
    with operator_server() as (url, _, status):
        code, body = _request("GET", url + "/health")
        assert code == 503 and not body["ok"]
        status.put(
            {
                "last_block_age": 0.01,
                "uptime": 12.5,
                "scene": "day",
                "next_scene": "evening",
                "people": {"heard": 3, "moods": 4},
                "levels": {"peak_dbfs": -12.0, "laeq_db": float("nan")},
                "xruns": 2,
                "jack": "running",
                "restarts": 1,
                "errors": ["engine restarted"],
            }
        )
        code, body = _request("GET", url + "/health")
        assert code == 200 and body["ok"]
        assert body["scene"] == "day" and body["people"] == {"heard": 3, "moods": 4}
        assert body["levels"]["laeq_db"] is None  # strict JSON: no NaN
        status.put({"last_block_age": 3.0, "jack": "lost"})
        code, body = _request("GET", url + "/health")
        assert code == 503 and body["jack"] == "lost" and "no audio block" in body["reason"]


def test_collective_and_the_status_page() -> None:
    features = {"arousal": {"value": 0.4, "unit": ""}, "heart_rate": {"value": 71.0, "unit": "bpm"}}
    with operator_server() as (url, _, status):
        status.put({"last_block_age": 0.0, "collective": features})
        assert _request("GET", url + "/collective") == (200, features)

        async def page() -> tuple[int, str]:
            async with aiohttp.ClientSession() as client, client.get(url + "/status") as r:
                return r.status, await r.text()

        code, html = asyncio.run(page())
        assert code == 200 and "/health" in html


def test_control_with_the_token_puts_commands_on_the_queue() -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with operator_server(token=TOKEN) as (url, commands, status):
        status.put({"last_block_age": 0.0, "scenes": ["dawn", "night"]})
        assert (
            _request("POST", url + "/control/scene", json={"scene": "night"}, headers=auth)[0]
            == 202
        )
        assert _request("POST", url + "/control/level", json={"db": -12}, headers=auth)[0] == 202
        assert (
            _request("POST", url + "/control/pause", json={"paused": True}, headers=auth)[0] == 202
        )
        assert _request("POST", url + "/control/panic", headers=auth)[0] == 202
        code, body = _request("POST", url + "/control/scene", json={"scene": "noon"}, headers=auth)
        assert code == 400 and "no scene 'noon'" in body["error"]
        taken = [commands.get_nowait() for _ in range(commands.qsize())]
    assert taken == [SetScene("night"), SetLevel(-12.0), Pause(True), Panic()]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer " + make_control_token()}, {"Authorization": TOKEN}],
    ids=["no token", "wrong token", "not bearer"],
)
def test_control_is_refused_without_the_right_token(
    headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "symphony.web")
    with operator_server(token=TOKEN) as (url, commands, _):
        code, body = _request("POST", url + "/control/panic", headers=headers)
        assert code == 401 and "token" in body["error"]
        assert commands.empty()
    assert any(
        "127.0.0.1" in r.message and "refused control panic" in r.message for r in caplog.records
    )


def test_everything_is_refused_outside_the_allow_list(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "symphony.web")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with operator_server(allow=("192.168.7.0/24",), token=TOKEN) as (url, commands, _):
        for method, path in (("POST", "/control/panic"), ("GET", "/health")):
            code, body = _request(method, url + path, headers=auth)
            assert code == 403 and "allow list" in body["error"]
        assert commands.empty()
    assert any("127.0.0.1" in r.message and "allow list" in r.message for r in caplog.records)
