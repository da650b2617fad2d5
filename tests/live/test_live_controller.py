"""A controller drives a live show: real JACK MIDI from a separate client.

The nanoKONTROL2 factory profile is bound to the demo's layers. A test
client plays the controller on a JACK MIDI port named like the device; the
session log shows what the engine really applied.
"""

from __future__ import annotations

import time
from pathlib import Path

from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.session.log import read_session
from tests.jack_server import jack_server
from tests.live.show import LiveShow

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "performances" / "demo.toml"
PROFILE = ROOT / "hardware" / "controllers" / "korg-nanokontrol2.toml"


def test_fader_pickup_and_panic_reach_the_engine(tmp_path: Path) -> None:
    import rtmidi

    log = tmp_path / "show.session"
    with jack_server():
        controller = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="korg")
        controller.open_virtual_port("nanoKONTROL2 MIDI 1")
        try:
            show = LiveShow(DEMO, PROFILE, log, "--participants", "2")
            show.wait_started()  # engine and MIDI process up (a fixed sleep raced them)
            time.sleep(2.0)  # the gathering scene has brought drone.level to 0.75
            # fader 1 (CC 0) -> drone.level, pickup: low values first do nothing,
            # then the fader crosses the current level (0.75 in the gathering scene).
            for value in [*list(range(0, 128, 4)), 127, 64]:
                controller.send_message([0xB0, 0, value])
                time.sleep(0.01)
            time.sleep(0.5)
            controller.send_message([0xB0, 42, 127])  # stop button: panic
            time.sleep(0.5)
        finally:
            code = show.stop()
            controller.close_port()
    assert code == 0, show.output[-2000:]
    perf = load_performance(DEMO)
    layout = ControlLayout(perf.spec, perf.patches)
    schedule = read_session(log).schedule
    level = layout.index("drone.level")
    moves = [v for t, v in zip(schedule.targets, schedule.values, strict=True) if t == level]
    param = layout.targets[level].param
    # Picked up: nothing below the current level was applied, then it followed the fader.
    assert moves, "the fader never reached the engine"
    assert param.to_position(moves[-1]) == 64 / 127
    performer = [param.to_position(v) for v in moves if param.to_position(v) != 0.75]
    assert all(p >= 0.7 or p == 64 / 127 for p in performer), performer[:10]
    from_fader = [p for p in performer if p > 0.76 and abs(p * 127 - round(p * 127)) < 1e-9]
    assert from_fader, "pickup never engaged"
    master = layout.index("master.gain_db")
    assert any(
        t == master and v == -60.0 for t, v in zip(schedule.targets, schedule.values, strict=True)
    ), "panic did not bring the master down"
