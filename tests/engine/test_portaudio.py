"""`--audio portaudio`, through PortAudio's JACK host API on a jackd dummy server.

Real parts: the system's PortAudio (Debian's libportaudio2, which has a JACK
host API; sounddevice lists with it and the engine makes pyo use it), a
jackd dummy server under a private name, the engine in its own process, and
a JACK client (`LevelMeter`) on the port PortAudio's stream opens
(`PortAudio:out_0`). Killing the server takes the device away mid-show.
Waits have generous deadlines that only turn a hang into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from symphony.engine.audio_devices import OutputDevice, match_output
from symphony.engine.backends import EXIT_AUDIO_LOST
from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.errors import SymphonyError
from symphony.live.supervisor import Supervisor
from tests.jack_server import LevelMeter, RestartableJack, jack_server

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "mini.toml"
PORT = "PortAudio:out_0"
DEADLINE = 60.0


def wait_for(condition: Callable[[], bool], what: str, tick: Callable[[], object] = list) -> float:
    end = time.monotonic() + DEADLINE
    while not condition():
        tick()
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)
    return time.monotonic()


def test_devices_match_by_case_insensitive_name_part() -> None:
    devices = [
        OutputDevice(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", "ALSA", 2),
        OutputDevice(3, "Scarlett 2i2 USB: Audio (hw:1,0)", "ALSA", 2, default=True),
        OutputDevice(5, "system", "JACK Audio Connection Kit", 2),
        OutputDevice(6, "System Sounds", "ALSA", 2),
    ]
    assert match_output(devices, "scarlett") == devices[1]
    assert match_output(devices, "SYSTEM") == devices[2]  # the exact name wins
    assert match_output(devices, "sys") == devices[2]  # else the first match
    assert match_output(devices, "focusrite") is None
    assert match_output(devices, None) == devices[1]  # the default
    assert match_output([], None) is None


def test_symphony_devices_lists_portaudio_outputs() -> None:
    with jack_server():
        result = subprocess.run(
            [sys.executable, "-m", "symphony.cli", "devices", "--wait", "0.1"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    section = result.stdout.split("Audio output devices")[1].split("\n\n")[0]
    assert "system  [JACK Audio Connection Kit, 2 out]" in section


def test_portaudio_plays_on_jack_and_a_missing_device_is_named() -> None:
    with jack_server() as server:
        engine = EngineProcess(MINI, RealtimeOptions(audio="portaudio", device="SYST"))
        meter = None
        try:
            engine.start()
            meter = LevelMeter(server, PORT)
            wait_for(lambda: meter is not None and bool(meter.sound_between(0, 1e12)), "sound")
        finally:
            if meter is not None:
                meter.close()
            engine.stop()
        missing = EngineProcess(MINI, RealtimeOptions(audio="portaudio", device="focusrite"))
        with pytest.raises(SymphonyError) as caught:
            missing.start()
    message = str(caught.value)
    assert "no audio output device matching 'focusrite'" in message
    assert "'system' (JACK Audio Connection Kit)" in message  # what is there instead


def test_a_device_missing_at_start_and_lost_mid_show_is_waited_for(tmp_path: Path) -> None:
    """Missing at start: the engine waits. Lost: it hands over to a new process, which waits."""
    jack = RestartableJack()
    options = RealtimeOptions(audio="portaudio", device="system", wait_for_audio=True)
    engine = EngineProcess(MINI, options, session=tmp_path / "s.session")
    supervisor = Supervisor()
    meter: LevelMeter | None = None
    try:
        engine.start()  # no server, so no device: serving, and waiting
        assert engine.clock.state == "starting"
        time.sleep(2.5)  # a few retries: the engine must neither crash nor give up
        assert engine.alive() and engine.clock.blocks() == 0
        supervisor.watch(engine)
        up = jack.start()
        meter = LevelMeter(jack.name, PORT)
        wait_for(lambda: engine.clock.state == "playing", "the device found", supervisor.poll)
        wait_for(lambda: meter is not None and bool(meter.sound_between(up, 1e12)), "sound")
        pid = engine.child.pid
        jack.kill()
        wait_for(lambda: not engine.alive(), "the engine to hand over", supervisor.poll)
        assert engine.exitcode == EXIT_AUDIO_LOST
        wait_for(
            lambda: engine.child.pid != pid and engine.alive(), "a new engine", supervisor.poll
        )
        time.sleep(2.5)  # device still gone: the new engine waits, no crash loop
        supervisor.poll()
        assert engine.alive() and supervisor.restarts == 1 and not supervisor.crash_loop
        up = jack.start()
        wait_for(lambda: engine.clock.state == "playing", "the device back", supervisor.poll)
        back = wait_for(
            lambda: meter is not None and bool(meter.sound_between(up, 1e12)), "sound again"
        )
        blocks = engine.clock.blocks()
    finally:
        if meter is not None:
            meter.close()
        engine.stop()
        jack.close()
    assert back > up
    assert blocks > 0
