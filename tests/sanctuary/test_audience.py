"""The visitors' page server, against real clients on a real socket.

Every limit is hit for real and must answer with HTTP 429 or a WebSocket
close with a reason; each refusal is one log line naming the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import aiohttp
import pytest

from symphony.collective.intake import Leave, Mood
from tests.sanctuary.helpers import Served, audience_server, session, until


async def _join(client: aiohttp.ClientSession, served: Served) -> aiohttp.ClientWebSocketResponse:
    async with client.get(served.url + "/") as page:
        assert page.status == 200
    ws = await client.ws_connect(served.url + "/ws")
    hello = await ws.receive_json(timeout=5)
    assert hello["type"] == "hello"
    return ws


def test_the_page_sets_only_a_server_issued_device_token() -> None:
    async def run(served: Served) -> None:
        async with session() as client:
            async with client.get(served.url + "/") as page:
                assert page.status == 200
                assert '<div id="pad"' in await page.text()
                cookies = page.cookies
                assert list(cookies) == ["symphony_device"]
                morsel = cookies["symphony_device"]
                assert morsel["httponly"] and morsel["samesite"] == "Strict"
                assert len(morsel.value) >= 22  # >= 128 bits
            async with client.get(served.url + "/static/app.js") as js:
                assert js.status == 200 and "WebSocket" in await js.text()
            async with client.get(served.url + "/static/../config.py") as bad:
                assert bad.status == 404

    with audience_server() as served:
        asyncio.run(run(served))


def test_a_mood_and_a_leave_reach_the_queue_as_this_devices() -> None:
    async def run(served: Served) -> None:
        async with session() as client:
            ws = await _join(client, served)
            await ws.send_json({"type": "mood", "valence": 0.5, "arousal": 2.0, "device": "web-x"})
            first = await asyncio.to_thread(served.take)
            await ws.send_json({"type": "leave"})
            assert (await ws.receive_json(timeout=5))["type"] == "left"
            second = await asyncio.to_thread(served.take)
            await ws.close()
        assert isinstance(first, Mood) and isinstance(second, Leave)
        assert first.device != "web-x" and first.device.startswith("web-")  # not the client's pick
        assert (first.valence, first.arousal) == (0.5, 1.0)  # clamped to -1..1
        assert second.device == first.device

    with audience_server() as served:
        asyncio.run(run(served))


def test_a_socket_without_a_real_token_is_refused() -> None:
    async def run(served: Served) -> None:
        async with session() as client:
            with pytest.raises(aiohttp.WSServerHandshakeError) as no_token:
                await client.ws_connect(served.url + "/ws")
            assert no_token.value.status == 403
            client.cookie_jar.update_cookies({"symphony_device": "guessed-token-of-someone"})
            with pytest.raises(aiohttp.WSServerHandshakeError) as forged:
                await client.ws_connect(served.url + "/ws")
            assert forged.value.status == 403

    with audience_server() as served:
        asyncio.run(run(served))


def test_too_many_messages_close_the_socket_with_a_reason(caplog: pytest.LogCaptureFixture) -> None:
    async def run(served: Served) -> tuple[int | None, str]:
        async with session() as client:
            ws = await _join(client, served)
            for i in range(200):  # far beyond 10 a second, as fast as the client can
                if ws.closed:
                    break
                await ws.send_str(json.dumps({"type": "mood", "valence": i / 200, "arousal": 0}))
            while True:
                msg = await ws.receive(timeout=5)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    return ws.close_code, str(msg.extra)

    caplog.set_level(logging.WARNING, "symphony.web")
    with audience_server(messages_per_second=10.0, burst=20) as served:
        code, reason = asyncio.run(run(served))
        assert served.moods.qsize() <= 25  # the burst and a little, not the flood
    assert code == 4008 and "too many messages" in reason
    assert any(
        "127.0.0.1" in r.message and "too many messages" in r.message for r in caplog.records
    )


def test_a_big_message_closes_with_a_reason() -> None:
    async def run(served: Served) -> tuple[int | None, str]:
        async with session() as client:
            ws = await _join(client, served)
            await ws.send_str(json.dumps({"type": "mood", "pad": "x" * 5000}))
            msg = await ws.receive(timeout=5)
            while msg.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                msg = await ws.receive(timeout=5)
            return ws.close_code, str(msg.extra)

    with audience_server(max_message_bytes=4096) as served:
        code, reason = asyncio.run(run(served))
    assert code == 1009 and "at most 4096 bytes" in reason


def test_sockets_per_address_and_the_client_cap_answer_429() -> None:
    async def run(served: Served, opened: int) -> str:
        async with session() as client:
            sockets = [await _join(client, served) for _ in range(opened)]
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await client.ws_connect(served.url + "/ws")
            assert refused.value.status == 429
            for ws in sockets:
                await ws.close()
            return refused.value.message

    with audience_server(sockets_per_address=3, max_clients=100) as served:
        assert asyncio.run(run(served, 3))
    with audience_server(sockets_per_address=10, max_clients=2) as served:
        asyncio.run(run(served, 2))


def test_one_address_cannot_mint_many_devices(caplog: pytest.LogCaptureFixture) -> None:
    async def run(served: Served) -> list[int]:
        statuses = []
        for _ in range(4):  # a client that throws its cookie away each time
            async with session() as client, client.get(served.url + "/") as page:
                statuses.append(page.status)
        return statuses

    caplog.set_level(logging.WARNING, "symphony.web")
    with audience_server(devices_per_address=3) as served:
        assert asyncio.run(run(served)) == [200, 200, 200, 429]
    assert any("too many devices" in r.message and "127.0.0.1" in r.message for r in caplog.records)


def test_a_dead_socket_is_dropped_by_the_heartbeat() -> None:
    async def run(served: Served) -> None:
        async with session() as client:
            async with client.get(served.url + "/"):
                pass
            ws = await client.ws_connect(served.url + "/ws", autoping=False)  # never answers
            assert until(lambda: served.server.call(served.audience.sockets.open_count) == 1)
            gone = await asyncio.to_thread(
                until, lambda: served.server.call(served.audience.sockets.open_count) == 0
            )
            assert gone
            await ws.close()

    with audience_server(heartbeat=0.3) as served:
        asyncio.run(run(served))


def test_bad_messages_get_an_error_and_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    async def run(served: Served) -> list[dict]:
        async with session() as client:
            ws = await _join(client, served)
            replies = []
            for text in ("not json", "[1]", '{"type": "vote"}', '{"type": "mood", "valence": "a"}'):
                await ws.send_str(text)
                replies.append(await ws.receive_json(timeout=5))
            await ws.close()
            return replies

    caplog.set_level(logging.WARNING, "symphony.web")
    with audience_server() as served:
        replies = asyncio.run(run(served))
        assert served.moods.empty()
    assert [r["type"] for r in replies] == ["error"] * 4
    lines = [r.message for r in caplog.records if "bad message" in r.message]
    assert len(lines) == 4 and all("127.0.0.1 (web-" in line for line in lines)


def test_the_page_sees_the_room_only_over_three_people() -> None:
    def snapshot(count: int) -> dict:
        return {
            "collective": {
                "mood_valence": {"value": 0.3, "unit": ""},
                "mood_arousal": {"value": 0.1, "unit": ""},
                "mood_count": {"value": count, "unit": ""},
            }
        }

    async def run(served: Served) -> tuple[object, object]:
        async with session() as client:
            served.status.put(snapshot(2))
            ws = await _join(client, served)
            few = (await ws.receive_json(timeout=5))["room"]
            served.status.put(snapshot(3))
            while True:
                msg = await ws.receive_json(timeout=5)
                if msg["type"] == "room" and msg["room"] is not None:
                    break
            await ws.close()
            return few, msg["room"]

    with audience_server(picture_every=0.1) as served:
        few, enough = asyncio.run(run(served))
    assert few is None
    assert enough == {"valence": 0.3, "arousal": 0.1, "count": 3}


def test_a_flood_is_throttled_while_another_phone_goes_on() -> None:
    async def flood(served: Served) -> int | None:
        async with session() as client:
            ws = await _join(client, served)
            with contextlib.suppress(ConnectionError):
                for _ in range(300):
                    if ws.closed:
                        break
                    await ws.send_json({"type": "mood", "valence": 1.0, "arousal": 1.0})
                    await asyncio.sleep(0)
            msg = await ws.receive(timeout=5)
            while msg.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                msg = await ws.receive(timeout=5)
            return ws.close_code

    async def calm(served: Served) -> int:
        async with session() as client:
            ws = await _join(client, served)
            for i in range(20):  # 5 a second, within the limit
                await ws.send_json({"type": "mood", "valence": -1.0, "arousal": i / 20})
                await asyncio.sleep(0.2)
            await ws.close()
            return 20

    async def both(served: Served) -> tuple[int | None, int]:
        return await asyncio.gather(flood(served), calm(served))

    with audience_server(messages_per_second=10.0, burst=20) as served:
        flood_code, sent = asyncio.run(both(served))
        taken = [served.moods.get_nowait() for _ in range(served.moods.qsize())]
    calm_moods = [m for m in taken if isinstance(m, Mood) and m.valence == -1.0]
    assert flood_code == 4008
    assert len(calm_moods) == sent  # every one of the calm phone's moods arrived
    assert len(taken) - len(calm_moods) <= 25  # of the flood, the burst and a little


def test_a_forgotten_token_is_renewed_and_other_pages_are_refused() -> None:
    async def run(served: Served) -> None:
        async with session() as client:
            client.cookie_jar.update_cookies({"symphony_device": "left-over-from-yesterday"})
            async with client.get(served.url + "/token") as renewed:
                assert renewed.status == 200 and "symphony_device" in renewed.cookies
            ws = await client.ws_connect(served.url + "/ws")
            assert (await ws.receive_json(timeout=5))["type"] == "hello"
            await ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as foreign:
                await client.ws_connect(served.url + "/ws", origin="http://evil.example")
            assert foreign.value.status == 403

    with audience_server() as served:
        asyncio.run(run(served))


def test_a_flood_of_refusals_writes_a_few_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    async def run(served: Served) -> None:
        async with session() as client:
            for _ in range(30):
                with pytest.raises(aiohttp.WSServerHandshakeError):
                    await client.ws_connect(served.url + "/ws")

    caplog.set_level(logging.WARNING, "symphony.web")
    with audience_server() as served:
        asyncio.run(run(served))
    lines = [r.message for r in caplog.records if "device token" in r.message]
    assert 1 <= len(lines) <= 5 and all("127.0.0.1" in line for line in lines)


def test_simulated_phones_each_come_from_their_own_address() -> None:
    from symphony.sanctuary.web.phones import phones

    sent: list[str] = []
    with audience_server(sockets_per_address=1, devices_per_address=1) as served:
        stats = asyncio.run(
            phones(
                served.url + "/", 6, 30.0, 1.0, on_send=lambda d, *_: sent.append(d), join_over=0.2
            )
        )
        taken = [served.moods.get_nowait() for _ in range(served.moods.qsize())]
    assert stats.joined == 6 and not stats.refused  # six addresses, one device each
    assert {m.device for m in taken if isinstance(m, Mood)} == set(sent)
    assert len(set(sent)) == 6
