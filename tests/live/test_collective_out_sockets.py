"""`live/collective_out.py` on real UDP sockets: bundles or single messages, bad hosts.

No show here: a `RoomFrame` is handed to `CollectiveOut.send` as the live
control process does at each room update, and a real OSC receiver
(python-osc's parser on a UDP socket, tests/live/room_show.py) reads it.
"""

from __future__ import annotations

import logging

import pytest

from symphony.collective.room import RoomFrame, Trigger
from symphony.live.collective_out import CollectiveOut
from symphony.performance.schema import OscOutputSpec
from tests.live.room_show import OscReceiver
from tests.live.show import wait_for

PREFIX = "/symphony/collective/"


def _frame() -> RoomFrame:
    values = {"heart_rate": 66.0, "count": 5.0, "heart_sync": 0.3, "presence": 0.9}
    beats = [Trigger("a", 0.98, 1.0)]
    return RoomFrame(1.0, values, dict.fromkeys(values, 1.0), {}, [], beats)


@pytest.mark.parametrize("bundle", [True, False])
def test_one_update_reaches_a_real_receiver(bundle: bool) -> None:
    receiver = OscReceiver()
    spec = OscOutputSpec(
        kind="osc", port=receiver.port, features=["heart_rate", "count"], bundle=bundle
    )
    out = CollectiveOut([spec], lambda participant: True)
    try:
        out.send(_frame())
        expected = 1 if bundle else 3
        wait_for(lambda: len(receiver.datagrams) >= expected, "the update to arrive")
    finally:
        out.close()
        receiver.close()
    assert len(receiver.datagrams) == expected
    got = [m for datagram in receiver.datagrams for m in datagram]
    assert got == [
        (f"{PREFIX}heart_rate", 66.0),
        (f"{PREFIX}count", 5.0),
        (f"{PREFIX}heartbeat", 1.0),
    ]


def test_a_host_that_does_not_resolve_is_one_warning_and_the_show_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = OscOutputSpec(kind="osc", name="lights", host="no-such-host.invalid", port=9000)
    with caplog.at_level(logging.WARNING):
        out = CollectiveOut([spec], lambda participant: True)
        for _ in range(3):
            out.send(_frame())  # never raises
        out.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert "lights" in lines[0] and "no-such-host.invalid:9000" in lines[0]
