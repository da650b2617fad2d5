"""The engine's audio thread keeps its Python thread state (symphony.engine.thread_state).

Without it, every block that enters our Python hook maps a fresh frame stack:
one minor page fault per block, counted here in the client process's
/proc stat. This is a count, not a timing, so it holds on a loaded machine.
A pyo client with an empty hook is run both ways on a real JACK dummy server,
so the test also shows the measurement sees the fault when it is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.jack_server import jack_server

ROOT = Path(__file__).resolve().parents[2]
PERIOD = 64

CLIENT = r"""
import os, sys, threading
os.environ.setdefault("PYO_GUI_WX", "0")
import pyo
from symphony.engine.thread_state import keep_thread_state
keep = sys.argv[1] == "keep"
s = pyo.Server(sr=48000, nchnls=1, buffersize=64, duplex=0, audio="jack", jackname="hooked")
s.setJackAuto(False, False)
s.boot()
first = [keep]
def hook():
    if first[0]:
        keep_thread_state()
        first[0] = False
s.setCallback(hook)
s.start()
print("ready", flush=True)
sys.stdin.readline()
s.stop()
"""


def _faults(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


def _faults_per_block(server: str, mode: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JACK_DEFAULT_SERVER": server}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        for line in proc.stdout:
            if line.strip() == b"ready":
                break
        time.sleep(1.0)
        before, t0 = _faults(proc.pid), time.monotonic()
        time.sleep(2.0)
        after, elapsed = _faults(proc.pid), time.monotonic() - t0
        proc.stdin.write(b"\n")
        proc.stdin.flush()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return (after - before) / (elapsed * 48000 / PERIOD)


def test_hooked_audio_thread_keeps_its_thread_state() -> None:
    with jack_server(period=PERIOD) as server:
        churned = _faults_per_block(server, "churn")
        kept = _faults_per_block(server, "keep")
    assert churned > 0.5, f"expected a page fault per block without it, got {churned:.2f}"
    assert kept < 0.05, f"the kept thread state still faults {kept:.2f} times per block"
