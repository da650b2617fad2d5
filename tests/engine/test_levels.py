"""The engine's output level tap on pyo's real (offline) server.

The tap's short-term loudness must agree with the render meters
(symphony.analysis.meters, written from BS.1770) on the very samples pyo
played, and its peak with the samples' own peak.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf

from symphony.analysis.meters import sample_peak_dbfs, short_term_loudness_lufs
from symphony.engine.levels import (
    PEAK,
    POWER,
    SLOTS,
    UPDATES,
    build_level_tap,
    peak_dbfs,
    power_lufs,
)
from symphony.engine.pyo_import import load_pyo

RATE = 48000
BLOCK = 256


def _play(
    tmp_path: Path, amplitudes: list[float], seconds: float
) -> tuple[list[float], np.ndarray]:
    pyo = load_pyo()
    server = pyo.Server(
        sr=RATE, nchnls=len(amplitudes), buffersize=BLOCK, duplex=0, audio="offline", winhost=""
    )
    server.setVerbosity(1)
    server.boot()
    out = [0.0] * SLOTS
    path = tmp_path / "tap.wav"
    try:
        server.recordOptions(dur=seconds, filename=str(path), fileformat=0, sampletype=3)
        signals = [pyo.Sine(freq=997.0 + 50 * i, mul=a) for i, a in enumerate(amplitudes)]
        for channel, signal in enumerate(signals):
            signal.out(chnl=channel)
        tap = build_level_tap(pyo, signals, RATE, BLOCK, out)
        server.setCallback(tap)
        server.start()
    finally:
        server.shutdown()
    audio, _ = sf.read(path, always_2d=True)
    return out, np.asarray(audio, dtype=np.float64)


def test_tap_agrees_with_the_render_meters(tmp_path: Path) -> None:
    out, audio = _play(tmp_path, [0.5, 0.25], seconds=4.0)
    assert out[UPDATES] > 10
    expected_lufs = float(short_term_loudness_lufs(audio, RATE)[-1])
    assert abs(power_lufs(out[POWER]) - expected_lufs) < 0.1, (
        power_lufs(out[POWER]),
        expected_lufs,
    )
    assert abs(peak_dbfs(out[PEAK]) - sample_peak_dbfs(audio[-RATE:])) < 0.1


def test_silence_reads_minus_infinity(tmp_path: Path) -> None:
    out, _ = _play(tmp_path, [0.0, 0.0], seconds=1.0)
    assert out[UPDATES] > 0
    assert peak_dbfs(out[PEAK]) == -math.inf
    assert power_lufs(out[POWER]) == -math.inf
