"""A live show's session log re-renders to the same sound, and survives kill -9.

Real parts: a jackd dummy server, the realtime engine in its own process, a
JACK client recording the engine's output ports, and the offline engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from symphony.engine.realtime import EngineProcess, RealtimeOptions
from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import load_performance
from symphony.performance.render import render_session
from symphony.session.log import read_session
from tests.jack_server import Capture, jack_server

LIVE = Path(__file__).resolve().parents[1] / "fixtures" / "performances" / "live.toml"
SR = 48000


def align(capture: np.ndarray, render: np.ndarray) -> int:
    """Offset of the capture's first frame in the render, by cross-correlation."""
    probe = capture[: SR // 4, 0]
    spectrum = np.fft.rfft(render[:, 0], n=render.shape[0] + probe.size)
    kernel = np.fft.rfft(probe[::-1], n=render.shape[0] + probe.size)
    corr = np.fft.irfft(spectrum * kernel)
    return int(np.argmax(corr[probe.size - 1 :]))


def test_live_output_equals_its_offline_rerender(tmp_path: Path) -> None:
    perf = load_performance(LIVE)
    layout = ControlLayout(perf.spec, perf.patches)
    log = tmp_path / "show.session"
    # Long periods (21 ms) keep the dummy driver's xruns rare on a loaded machine;
    # the block size travels in the session header, so the re-render follows.
    with jack_server(period=1024) as server:
        engine = EngineProcess(
            LIVE, RealtimeOptions(audio="jack", buffer=1024), seed=9, session=log
        )
        engine.start()
        try:
            mic = Capture(server, ["symphony:out_1", "symphony:out_2"])
            try:
                mic.recording = True
                for k in range(30):  # performer and body moves, 20 per second
                    engine.send(layout.index("n.freq"), 300.0 + 20.0 * k)
                    engine.send(layout.index("n.amp"), 0.1 + 0.02 * (k % 10))
                    time.sleep(0.05)
                time.sleep(0.5)
                mic.recording = False
                # The longest stretch without an xrun (usually all of it).
                captured = max(mic.segments(), key=len)
                xruns = len(mic.xruns)
            finally:
                mic.close()
        finally:
            engine.stop()
    session = read_session(log)
    assert len(session.schedule) == 60
    out = tmp_path / "rerender.wav"
    render_session(perf, log, out)
    rendered, _ = sf.read(out, always_2d=True, dtype="float32")
    offset = align(captured, rendered)
    n = min(captured.shape[0], rendered.shape[0] - offset)
    assert n > SR // 2, f"no half second free of xruns ({xruns} xruns)"
    residual = captured[:n] - rendered[offset : offset + n]
    residual_db = 20 * np.log10(max(float(np.max(np.abs(residual))), 1e-12))
    # The render is stored as 24-bit PCM: its quantisation (-144 dBFS) is the only
    # expected difference. JACK xruns on this shared machine cut the capture; the
    # comparison runs over the longest stretch between them.
    assert residual_db < -90.0, f"live vs re-render residual {residual_db:.1f} dBFS ({xruns} xruns)"


DRIVER = """
import sys, time
from pathlib import Path
from symphony.engine.realtime import EngineProcess, RealtimeOptions
engine = EngineProcess(Path({live!r}), RealtimeOptions(audio="jack"), seed=9,
                       session=Path({log!r}))
engine.start()
print("started", flush=True)
k = 0
while True:
    engine.send(0, 200.0 + (k % 50) * 10.0)
    k += 1
    time.sleep(0.02)
"""


def test_session_log_survives_kill_9_and_still_renders(tmp_path: Path) -> None:
    log = tmp_path / "crash.session"
    with jack_server():
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(DRIVER.format(live=str(LIVE), log=str(log)))],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ},
        )
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "started"
            time.sleep(3.0)
            killed_at = time.monotonic()
            os.killpg(proc.pid, signal.SIGKILL)  # driver, writer thread and engine at once
            proc.wait(10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert time.monotonic() - killed_at < 10
    session = read_session(log)
    # ~3 s of moves at 50 per second were sent; at most the last second may be lost.
    assert len(session.schedule) >= 2.0 * 50 * 0.8
    assert session.duration >= 2.0
    perf = load_performance(LIVE)
    result = render_session(perf, log, tmp_path / "crash.wav")
    assert result.report.duration_s >= 2.0
    x, _ = sf.read(tmp_path / "crash.wav")
    assert np.all(np.isfinite(x)) and np.max(np.abs(x)) > 0.01
