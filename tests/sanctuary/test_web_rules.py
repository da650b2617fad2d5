"""The web servers' rules as pure logic: limits, device tokens, commands, config, health."""

from __future__ import annotations

import math

import pytest

from symphony.sanctuary.web.commands import (
    CommandError,
    Panic,
    Pause,
    SetLevel,
    SetScene,
    parse_command,
)
from symphony.sanctuary.web.config import (
    AudienceConfig,
    OperatorConfig,
    WebConfigError,
    make_control_token,
    parse_address,
)
from symphony.sanctuary.web.limits import Counter, Devices, TokenBucket
from symphony.sanctuary.web.status import finite, health, room_picture


def test_token_bucket_allows_the_rate_and_refuses_beyond_it() -> None:
    bucket = TokenBucket(rate=10.0, burst=5, now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.take(0.1)  # one more after a tenth of a second
    assert not bucket.take(0.1)
    # over ten seconds at 20 a second, only about 10 a second pass
    passed = sum(bucket.take(0.1 + i / 20) for i in range(1, 201))
    assert 95 <= passed <= 105


def test_counter_refuses_per_address_and_in_all() -> None:
    counter = Counter(per_key=2, total=3)
    for key in ("a", "a"):
        assert counter.refusal(key) is None
        counter.open(key)
    assert "this address" in (counter.refusal("a") or "")
    counter.open("b")
    assert "full" in (counter.refusal("c") or "")
    counter.close("a")
    assert counter.refusal("c") is None and counter.open_count() == 2


def test_devices_are_issued_by_the_server_a_few_per_address() -> None:
    devices = Devices(per_address=2, idle=60.0)
    first = devices.issue("10.0.0.5", 0.0)
    second = devices.issue("10.0.0.5", 0.0)
    assert first is not None and second is not None
    assert devices.issue("10.0.0.5", 0.0) is None  # a third from the same address
    assert devices.issue("10.0.0.6", 0.0) is not None  # another phone
    token, device = first
    assert len(token) >= 22 and token != device.device  # >= 128 bits; the id is not the token
    assert devices.lookup(token, 1.0) is device
    assert devices.lookup("a-token-i-made-up-myself", 1.0) is None
    assert devices.lookup(device.device, 1.0) is None  # a device id is not a token
    # unused for longer than `idle`: forgotten, and the address may have a new one
    assert devices.lookup(second[0], 100.0) is None
    assert devices.issue("10.0.0.5", 100.0) is not None


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        ("scene", {"scene": "dawn"}, SetScene("dawn")),
        ("level", {"db": -6}, SetLevel(-6.0)),
        ("pause", {"paused": True}, Pause(True)),
        ("panic", None, Panic()),
    ],
)
def test_commands_parse(action: str, body: object, expected: object) -> None:
    assert parse_command(action, body, ["dawn", "night"]) == expected


@pytest.mark.parametrize(
    ("action", "body", "words"),
    [
        ("volume", {}, "unknown control"),
        ("scene", {"scene": "noon"}, "no scene 'noon'"),
        ("level", {"db": 6}, "-80 to 0"),
        ("level", {"db": math.nan}, "number"),
        ("level", {"db": True}, "number"),
        ("pause", {"paused": "yes"}, "true|false"),
        ("scene", [], "JSON object"),
    ],
)
def test_bad_commands_say_why(action: str, body: object, words: str) -> None:
    with pytest.raises(CommandError, match=words):
        parse_command(action, body, ["dawn", "night"])


def test_operator_config_needs_allow_list_and_token_off_loopback() -> None:
    OperatorConfig().check()
    with pytest.raises(WebConfigError, match="token"):
        OperatorConfig(host="0.0.0.0", allow=("192.168.1.0/24",)).check()
    with pytest.raises(WebConfigError, match="allow list"):
        OperatorConfig(host="0.0.0.0", allow=(), token=make_control_token()).check()
    with pytest.raises(WebConfigError, match="128 bits"):
        OperatorConfig(token="short").check()
    with pytest.raises(WebConfigError, match="'nonsense'"):
        OperatorConfig(allow=("nonsense",)).check()
    with pytest.raises(WebConfigError, match="set a token"):
        OperatorConfig(allow=("192.168.1.0/24",)).check()
    OperatorConfig(host="0.0.0.0", allow=("192.168.1.0/24",), token=make_control_token()).check()
    with pytest.raises(WebConfigError, match="max_clients"):
        AudienceConfig(max_clients=0).check()


def test_parse_address_names_the_option() -> None:
    assert parse_address("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert parse_address("[::1]:80") == ("::1", 80)
    with pytest.raises(WebConfigError, match="--audience"):
        parse_address("8080", "--audience")
    with pytest.raises(WebConfigError, match="--http"):
        parse_address("host:99999")


def test_health_follows_the_audio_clock_and_the_snapshot_age() -> None:
    assert health(None, math.inf, 1.0)[0] == 503
    snapshot = {"last_block_age": 0.01, "scene": "day", "collective": {"x": {}}}
    status, body = health(snapshot, 0.2, 1.0)
    assert status == 200 and body["ok"] and body["scene"] == "day" and "collective" not in body
    assert health({"last_block_age": 2.0}, 0.0, 1.0)[0] == 503
    status, body = health(snapshot, 5.0, 1.0)  # the show stopped writing: not a frozen 200
    assert status == 503 and "no audio block" in body["reason"]
    assert health({}, 0.0, 1.0)[0] == 503
    assert finite({"a": [math.inf, 1.0], "b": math.nan}) == {"a": [None, 1.0], "b": None}


def _moods(count: float) -> dict:
    return {
        "collective": {
            "mood_valence": {"value": 0.4, "unit": ""},
            "mood_arousal": {"value": -0.2, "unit": ""},
            "mood_valence_spread": {"value": 0.1, "unit": ""},
            "mood_count": {"value": count, "unit": "people"},
        }
    }


def test_the_room_picture_needs_three_people() -> None:
    assert room_picture(_moods(2)) is None
    assert room_picture(None) is None
    picture = room_picture(_moods(3))
    assert picture == {"valence": 0.4, "arousal": -0.2, "count": 3, "valence_spread": 0.1}


def test_the_address_is_printed_with_a_qr_code() -> None:
    import io

    from symphony.sanctuary.web import print_address, visitors_url

    out = io.StringIO()
    url = visitors_url("0.0.0.0", 8080)
    assert url.startswith("http://") and url.endswith(":8080/") and "0.0.0.0" not in url
    print_address("http://192.168.1.20:8080/", out)
    text = out.getvalue()
    first, *qr = text.splitlines()
    assert "http://192.168.1.20:8080/" in first
    assert len(qr) >= 10 and any("█" in line or "▀" in line or "▄" in line for line in qr)
    assert visitors_url("::", 80, "http://room.local/") == "http://room.local/"
