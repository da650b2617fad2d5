"""Moods and consent over OSC: real UDP packets into a real `OscSource`, drained by `LiveControl`.

The control loop is stepped on a virtual clock (no engine): what matters
here is the path from a datagram to the room and the consent book, and
that bad packets are said once, in one line naming port, path and client,
while the show goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pythonosc.udp_client import SimpleUDPClient

from symphony.collective.consent import Consent
from symphony.collective.intake import ConsentChange, Leave, Mood
from symphony.collective.moods import HALF_LIFE
from symphony.commands.live import status_line
from symphony.inputs.sources.osc_paths import OscProblem, OscRoom, parse_message
from symphony.inputs.sources.osc_source import OscSource, OscSpec
from symphony.live.control import LiveControl
from symphony.live.show_status import LiveState
from symphony.performance.loader import load_performance

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"


def test_room_paths_parse_to_intake_messages() -> None:
    assert parse_message("/symphony/ph1/mood", [0.5, -2.0]) == OscRoom(Mood("ph1", 0.5, -1.0))
    assert parse_message("/symphony/anna/consent", [0, 1]) == OscRoom(
        ConsentChange("anna", sound=False, record=True)
    )
    assert parse_message("/symphony/ph1/leave", []) == OscRoom(Leave("ph1"))
    for address, args in (
        ("/symphony/ph1/mood", [0.5]),
        ("/symphony/ph1/mood", ["x", 0.1]),
        ("/symphony/ph1/mood", [float("nan"), 0.1]),
        ("/symphony/anna/consent", [2, 0]),
        ("/symphony/anna/consent", ["yes", 1]),
        ("/symphony/anna/consent", [1]),
    ):
        assert isinstance(parse_message(address, args), OscProblem), (address, args)


PHONES = """
[[sources]]
name = "phones"
kind = "osc"
port = 0
"""


@pytest.fixture
def show(tmp_path: Path) -> Iterator[tuple[LiveControl, OscSource, dict[str, float]]]:
    """The mini performance fed by an OSC port (nobody there consented to `record`)."""
    performance = tmp_path / "mini.toml"
    text = MINI.read_text().replace('patch = "../patches/', f'patch = "{MINI.parents[1]}/patches/')
    performance.write_text(text + PHONES)
    now = {"t": 0.0}
    source = OscSource(OscSpec(name="phones", port=0), clock=lambda: now["t"])
    source.open()
    control = LiveControl(
        load_performance(performance), [source], lambda *a: True, lambda: now["t"]
    )
    yield control, source, now
    source.close()


def _step_until(
    control: LiveControl, now: dict[str, float], done: Callable[[], bool], what: str
) -> None:
    """Step the show (virtual time) until `done()`: the datagrams arrive on their own thread."""
    deadline = time.monotonic() + 10.0  # a guard against a hang, not a measurement
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        now["t"] += 0.02
        control.step()
        time.sleep(0.005)


def test_moods_and_consent_over_osc_reach_the_room_and_the_book(
    show: tuple[LiveControl, OscSource, dict[str, float]],
) -> None:
    control, source, now = show
    client = SimpleUDPClient("127.0.0.1", source.port)
    for device, valence in (("ph1", 0.9), ("ph2", 0.7), ("ph3", 0.8)):
        client.send_message(f"/symphony/{device}/mood", [valence, -0.5])

    def count() -> float:
        return control.frame.values.get("mood_count", 0.0) if control.frame else 0.0

    _step_until(control, now, lambda: count() > 0, "the moods")
    sent = now["t"]  # about when they were received (a control step or two)
    while count() < 3:  # the moods fade in over FADE_IN: nothing more to wait for on the wire
        now["t"] += 0.04
        control.step()
    assert control.frame is not None
    decayed = 0.8 * 0.5 ** ((now["t"] - sent) / HALF_LIFE)  # the median, decaying to neutral
    assert control.frame.values["mood_valence"] == pytest.approx(decayed, abs=0.01)
    assert "mood_valence" not in control.state.unkept  # three devices: the room's
    assert control.book.get("anna") == Consent(sound=True, record=False)
    client.send_message("/symphony/anna/consent", [0, 1])  # a network message cannot grant
    _step_until(control, now, lambda: not control.book.get("anna").sound, "anna's withdrawal")
    assert control.book.get("anna") == Consent(sound=False, record=False)  # record: the file's
    client.send_message("/symphony/anna/consent", [1, 0])
    _step_until(control, now, lambda: control.book.get("anna").sound, "anna back in")
    client.send_message("/symphony/anna/consent", [0, 0])
    _step_until(control, now, lambda: not control.book.get("anna").sound, "anna's withdrawal")
    assert control.book.get("anna") == Consent(sound=False, record=False)
    client.send_message("/symphony/ph1/consent", [0, 0])  # a phone withdrawing takes its mood out
    client.send_message("/symphony/ph1/mood", [0.9, -0.5])  # ... and stays out
    _step_until(control, now, lambda: count() == 2, "ph1 out of the moods")
    # Two moods are those two devices' own (no record consent): status lines leave them out.
    assert "mood_valence" in control.state.unkept
    client.send_message("/symphony/ph2/leave", [])
    _step_until(control, now, lambda: count() == 1, "ph2 leaving")


def test_bad_room_packets_are_one_line_naming_port_path_and_client(
    show: tuple[LiveControl, OscSource, dict[str, float]], caplog: pytest.LogCaptureFixture
) -> None:
    control, source, now = show
    client = SimpleUDPClient("127.0.0.1", source.port)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            client.send_message("/symphony/anna/consent", [5, 0])
            client.send_message("/symphony/ph1/mood", ["happy", 0.0])
        client.send_message("/symphony/anna/consent", [0, 0])  # the intake still works
        _step_until(control, now, lambda: not control.book.get("anna").sound, "the good packet")
    warnings = [r.getMessage() for r in caplog.records if "OSC port" in r.getMessage()]
    consent = [w for w in warnings if "/symphony/anna/consent" in w]
    assert len(consent) == 1 and source.problems["/symphony/anna/consent"] == 3
    assert f"OSC port {source.port}: /symphony/anna/consent from 127.0.0.1:" in consent[0]
    assert "consent sound must be 0 or 1, got 5" in consent[0]
    mood = [w for w in warnings if "/symphony/ph1/mood" in w]
    assert len(mood) == 1 and "mood valence must be a number" in mood[0]


def test_status_lines_leave_out_values_someone_without_record_carries() -> None:
    state = LiveState(collective={"heart_rate": 123.4, "arousal": 0.5}, unkept=["heart_rate"])
    line = status_line(state)
    assert "hr   nan" in line and "123.4" not in line and "arousal 0.50" in line
