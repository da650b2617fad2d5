"""`symphony calibrate-room`: the reference's loudness, and the command on a JACK dummy server.

Real parts: the project's BS.1770 meter on the computed reference; the
command in a subprocess on a jackd dummy server, heard by a JACK client
(`LevelMeter`) and measured again there.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np

from symphony.analysis.meters import integrated_loudness_lufs
from symphony.sanctuary.calibrate import reference_noise, sanctuary_lines
from tests.jack_server import LevelMeter, RestartableJack


def test_the_reference_is_at_its_loudness_on_every_channel() -> None:
    for channels in (2, 8):
        noise = reference_noise(48000, channels, -23.0, seconds=5.0)
        assert noise.shape == (240000, channels)
        assert abs(integrated_loudness_lufs(noise, 48000) - -23.0) < 0.05
        assert np.allclose(noise[:, 0], noise[:, -1])
    assert sanctuary_lines(72.04, -23.0) == (
        "[sanctuary]\ncalibration_db_a = 72.0\nreference_lufs = -23"
    )


def test_calibrate_room_plays_the_reference_and_prints_the_lines() -> None:
    jack = RestartableJack()
    meter: LevelMeter | None = None
    try:
        jack.start()
        meter = LevelMeter(jack.name)
        began = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "symphony.cli",
                "calibrate-room",
                "--spl",
                "71.5",
                "--seconds",
                "6",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        heard = meter.audio_between(began, time.monotonic())
    finally:
        if meter is not None:
            meter.close()
        jack.close()
    assert done.returncode == 0, done.stderr
    assert "calibration_db_a = 71.5" in done.stdout and "reference_lufs = -23" in done.stdout
    # One output of the stereo reference, as the speakers got it: -23 LUFS for
    # both channels is -26 LUFS for one (within the meter's start-up and the cut).
    sounding = np.flatnonzero(np.abs(heard) > 1e-4)
    assert sounding.size > 48000 * 3
    middle = (sounding[0] + sounding[-1]) // 2
    assert (
        abs(integrated_loudness_lufs(heard[middle - 48000 : middle + 48000], 48000) - -26.0) < 1.0
    )
