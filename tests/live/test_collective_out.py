"""`[[outputs]]` kind = "osc": a live show on JACK sends the room to a real OSC receiver.

The real `symphony live` command plays a rehearsal (simulated people, who
all arrive at the start and fade in over 10 s) with one OSC output aimed
at a python-osc receiver in the test. What arrives must be collective
features and heartbeat events only, under `/symphony/collective/`, and
only over 3 or more people: while the fading-in room's weight is below 3
people nothing of theirs goes out; with four people heard it does.
With two people, nothing that two people carry is ever sent.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.errors import PerformanceError
from symphony.performance.loader import load_performance
from tests.jack_server import jack_server
from tests.live.room_show import OscReceiver, Show
from tests.live.test_room_join_leave import PATCH

PREFIX = "/symphony/collective/"

PERFORMANCE = """
[performance]
title = "lights"
duration = "5:00"
seed = 4

[[outputs]]
kind = "osc"
name = "lights"
host = "127.0.0.1"
port = {port}

[[layers]]
name = "tone"
patch = "{patch}"

[[mappings]]
name = "heart"
source = "collective.heart_rate"
target = "tone.freq"
in_range = [50, 110]
out_range = [200, 500]

[[triggers]]
source = "heartbeat"
target = "tone.ping"

[scenes.calm]
participants = "calm"

[[timeline]]
at = 0
scene = "calm"
"""


def _write(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "lights.toml"
    path.write_text(PERFORMANCE.format(port=port, patch=PATCH))
    return path


def _play(tmp_path: Path, people: int, until: str) -> list[dict[str, float]]:
    """The datagrams an OSC receiver got from a show with `people` simulated people,
    until its status line says `until`; each datagram as {feature: value}."""
    receiver = OscReceiver()
    perf = _write(tmp_path, receiver.port)
    with jack_server():
        show = Show(perf, tmp_path / "show.session", "--participants", str(people))
        try:
            show.wait_started()
            show.wait_for(lambda: any(until in x for x in show.status_lines()), until)
            show.wait_for(lambda: len(show.status_lines()) >= 3, "a few seconds more")
        finally:
            code = show.stop()
            receiver.close()
            print(show.output)
    assert code == 0, show.output[-3000:]
    out = []
    for datagram in receiver.datagrams:
        assert all(address.startswith(PREFIX) for address, _ in datagram), datagram
        names = [address.removeprefix(PREFIX) for address, _ in datagram]
        assert set(names) <= {*COLLECTIVE_FEATURES, "heartbeat"}, names
        features = [n for n in names if n != "heartbeat"]
        assert len(features) == len(set(features)), names  # one datagram per room update
        values: dict[str, float] = {}
        for name, (_, value) in zip(names, datagram, strict=True):
            assert math.isfinite(value)
            values[name] = values.get(name, 0.0) + (1.0 if name == "heartbeat" else value)
        out.append(values)
    return out


def test_a_room_of_four_goes_out_over_osc_only_over_three_people(tmp_path: Path) -> None:
    updates = _play(tmp_path, 4, "heard 4")
    with_heart = [u for u in updates if "heart_rate" in u]
    assert with_heart, "the room's heart rate never went out"
    assert 40.0 < with_heart[-1]["heart_rate"] < 120.0
    # Whatever people carry goes out only while 3 or more people's weight carries it.
    for u in updates:
        if "count" in u:
            assert u["count"] >= 3.0 - 1e-9 or u["count"] == 0.0, u
        if "heart_rate" in u:
            assert u.get("count", 0.0) >= 3.0 - 1e-9, u
        if "heartbeat" in u:
            assert "heart_rate" in u, u  # beats only while the heart is carried by 3
    # The fade-in: at first (everyone's gain below 3/4) nothing of theirs is sent,
    # though the output speaks (the phones' mood count, 0, is nobody's).
    first = next(i for i, u in enumerate(updates) if u.get("count", 0.0) >= 3.0 - 1e-9)
    assert first > 0, "no update went out while the room faded in"
    for u in updates[:first]:
        assert not {"heart_rate", "heartbeat"} & set(u), u
        assert u.get("presence", 0.0) == 0.0 and u.get("count", 0.0) == 0.0, u  # empty room
    assert any("heartbeat" in u for u in updates[first:])


def test_two_people_never_go_out(tmp_path: Path) -> None:
    updates = _play(tmp_path, 2, "heard 2")
    personal = {"heart_rate", "heartbeat", "arousal", "breath_rate", "hrv_rmssd"}
    assert updates, "the output sent nothing at all (an empty room's count is 0 and goes out)"
    for u in updates:
        assert not personal & set(u), u
        # Synchrony below 3 people is neutral (0, p = 1): nobody's data.
        for name, value in u.items():
            if name.endswith("_p"):
                assert value == 1.0, (name, u)
            elif name.endswith(("_sync", "_isc")):
                assert value == 0.0, (name, u)
        assert u.get("count", 0.0) == 0.0 and u.get("presence", 0.0) == 0.0, u


def test_an_output_without_a_port_or_with_an_unknown_feature_is_refused(tmp_path: Path) -> None:
    good = _write(tmp_path, 9000).read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(good.replace("port = 9000\n", ""))
    at = good.splitlines().index("[[outputs]]") + 1
    with pytest.raises(PerformanceError, match=rf"bad\.toml:{at}: key 'outputs\[0\]\.port'"):
        load_performance(bad)
    text = good.replace("port = 9000\n", 'port = 9000\nfeatures = ["heart_rte"]\n')
    bad.write_text(text)
    line = text.splitlines().index('features = ["heart_rte"]') + 1
    with pytest.raises(PerformanceError, match=rf"bad\.toml:{line}:.*did you mean 'heart_rate'"):
        load_performance(bad)
