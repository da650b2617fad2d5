"""The consent scan of a render from a recording (issue 10, "What it must show" 3).

Two people were recorded (planted CSVs, `scan.pulse_body`): anna consented
to `record`, ben never did. The render (`symphony render`, its own process,
a dedicated TMPDIR) writes the audio, a plot and its report; every file it
wrote is scanned for ben's raw samples and beat times, and the audio itself
is heard: no ping at his beats, and no tone whose pitch follows his heart
rate. With two people every collective value is theirs, so the heart-rate
lane must play its public stand-in.

The same scan runs on a render where ben did consent, and must find him
there (his beats in the audio, the pitch following the pair's heart rate):
a scan that cannot find what is there proves nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from tests.consent.scan import (
    PPG_RATE,
    Body,
    beat_match,
    beat_time_traces,
    best_correlation,
    pulse_body,
    raw_traces,
    sine,
    square,
    written_files,
)

Array = npt.NDArray[np.float64]
RENDER = (sys.executable, "-m", "symphony.cli", "render")
PATCHES = Path(__file__).resolve().parents[1] / "fixtures" / "patches"
DURATION = 40.0
FOLLOWS = 0.7
BEATS = 0.6
PING_HZ = 880.0
HOP = 0.005  # s between spectra for the ping onsets


def _bodies() -> dict[str, Body]:
    return {
        "anna": pulse_body("anna", sine(70.0, 6.0, 13.0), DURATION, 34567.0, 11),
        "ben": pulse_body("ben", square(95.0, 125.0, 10.0), DURATION, 12345.0, 12),
    }


def _recording(folder: Path, bodies: dict[str, Body]) -> None:
    folder.mkdir(parents=True)
    for body in bodies.values():
        t = np.arange(body.ppg.size) / PPG_RATE
        rows = "".join(f"{a:.9f},{v:.9g}\n" for a, v in zip(t, body.ppg, strict=True))
        (folder / f"{body.name}-ppg.csv").write_text(f"time,{body.name}/ppg\n{rows}")


def _performance(folder: Path, consent: str) -> Path:
    text = f"""
[performance]
title = "consent scan render"
duration = {DURATION}
seed = 5

[participants]
voices = 2

[[sources]]
name = "circle"
kind = "recording"
path = "recording"
consent = {consent}

[[layers]]
name = "tone"
patch = "{PATCHES / "tone.py"}"
gain_db = -6

[layers.params]
amp = 0.1

[[mappings]]
name = "heart"
source = "collective.heart_rate"
target = "tone.freq"
in_range = [40, 140]
out_range = [200, 800]
smoothing = 0.3

[[triggers]]
source = "heartbeat"
target = "tone.ping"
"""
    path = folder / "show.toml"
    path.write_text(text)
    return path


def _render(tmp: Path, consent: str) -> tuple[Path, list[Path]]:
    """Render into tmp/out with TMPDIR tmp/tmp; the audio and every file the run wrote."""
    bodies = _bodies()
    _recording(tmp / "recording", bodies)
    show = _performance(tmp, consent)
    out, tmpdir = tmp / "out", tmp / "tmp"
    out.mkdir()
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "TMP": str(tmpdir), "TEMP": str(tmpdir)}
    wav = out / "show.wav"
    run = subprocess.run(
        [*RENDER, str(show), "-o", str(wav), "--plot", str(out / "show.png"), "--quiet"],
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )
    (out / "render-output.txt").write_bytes(run.stdout + b"\n" + run.stderr)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-3000:]
    return wav, written_files([out, tmpdir])


def _spectra(wav: Path, window: float) -> tuple[Array, Array, Array]:
    x, rate = sf.read(wav, always_2d=True)
    mono = x.mean(axis=1)
    size = int(window * rate)
    hop = int(HOP * rate) if window < 0.1 else size
    starts = np.arange(0, mono.size - size, hop)
    frames = np.stack([mono[s : s + size] * np.hanning(size) for s in starts])
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    return (starts + size / 2) / rate, freqs, np.abs(np.fft.rfft(frames, axis=1))


def ping_onsets(wav: Path) -> Array:
    """Times the 880 Hz ping starts: its band rising through a tenth of its peak."""
    times, freqs, mags = _spectra(wav, 0.02)
    band = mags[:, np.abs(freqs - PING_HZ) < 60].sum(axis=1)
    on = band > 0.1 * np.percentile(band, 99.5)
    rises = np.flatnonzero(on[1:] & ~on[:-1]) + 1
    return times[rises] - 0.01


def tone_pitch(wav: Path) -> tuple[Array, Array]:
    """The tone's frequency each second (the strongest peak below the ping)."""
    times, freqs, mags = _spectra(wav, 1.0)
    band = (freqs > 150) & (freqs < 820)
    return times, freqs[band][np.argmax(mags[:, band], axis=1)]


def _heard(wav: Path, body: Body) -> tuple[float, float]:
    """(share of body's beats pinged, |r| of the pitch with their heart rate)."""
    beats = beat_match(ping_onsets(wav), body, 0.0, (3.0, DURATION - 1.0), 0.06)
    times, pitch = tone_pitch(wav)
    return beats, best_correlation(times, pitch, body, 0.0, (12.0, DURATION - 2.0))


def test_a_render_keeps_nothing_of_a_person_who_never_consented(tmp_path: Path) -> None:
    bodies = _bodies()
    anna, ben = bodies["anna"], bodies["ben"]
    wav, files = _render(tmp_path, "{ anna = true }")
    assert raw_traces(ben, files) == []
    assert beat_time_traces(ben, files) == []
    ben_beats, ben_pitch = _heard(wav, ben)
    assert ben_beats < BEATS, f"the audio pings at ben's beats ({ben_beats:.0%})"
    assert ben_pitch < FOLLOWS, f"the tone follows ben's heart rate (r = {ben_pitch:.2f})"
    anna_beats, _ = _heard(wav, anna)
    assert anna_beats > BEATS, f"anna's beats are not in the audio ({anna_beats:.0%})"


def test_the_same_scan_finds_a_person_who_consented(tmp_path: Path) -> None:
    ben = _bodies()["ben"]
    wav, _ = _render(tmp_path, "true")
    ben_beats, ben_pitch = _heard(wav, ben)
    assert ben_beats > BEATS, f"ben consented, yet his beats are not heard ({ben_beats:.0%})"
    assert ben_pitch > FOLLOWS, f"ben consented, yet the tone ignores him (r = {ben_pitch:.2f})"
