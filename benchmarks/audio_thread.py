"""What a Python per-block hook costs pyo's JACK thread, and what keeping its thread state saves.

pyo enters Python from JACK's thread with ``PyGILState_Ensure`` every block.
With a Python callback (symphony's engine hook), CPython builds a thread
state and maps a frame stack for it, then tears both down at the end of the
block: an mmap, page faults and an munmap per block, on the audio path
(``symphony.engine.thread_state``). This script measures, on a private JACK
dummy server (non-realtime, as in the tests), one fresh process per variant,
alternated over ``--rounds``:

- **no hook**: a bare pyo client (the baseline: what the latency benchmark's
  bare client does);
- **empty hook**: the same with ``Server.setCallback`` on a function that
  does nothing;
- **empty hook, thread state kept**: the same, calling
  ``keep_thread_state()`` on its first block (what symphony's engine does);
- **queue hook (before)**: the engine's hook as it was before the lanes: an
  idle ``multiprocessing.Queue`` read with ``get_nowait`` and the MIDI pipe
  polled with ``Connection.poll``, then the master tick;
- **lane hook (now)**: ``symphony.engine.hook.LaneHook`` on its two idle
  lanes (one ``poll`` call for both), the master tick and the engine clock.

Columns: the process's CPU time per block (all of it runs in JACK's thread
once started), minor page faults per block, and xruns the server reported
while it ran.

Usage: python benchmarks/audio_thread.py [--period 64] [--seconds 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CLIENT = r"""
import os, signal, sys, threading
os.environ.setdefault("PYO_GUI_WX", "0")
import pyo
period, variant = int(sys.argv[1]), sys.argv[2]
s = pyo.Server(sr=48000, nchnls=2, buffersize=period, duplex=0, audio="jack", jackname="probe")
s.setJackAuto(False, False)
s.boot()
sine = pyo.Sine(440, mul=0.1).out()
if variant in ("empty", "kept"):
    from symphony.engine.thread_state import keep_thread_state
    state = {"first": variant == "kept"}
    def hook():
        if state["first"]:
            keep_thread_state()
            state["first"] = False
    s.setCallback(hook)
elif variant in ("queue", "lanes"):
    import multiprocessing as mp, queue
    from symphony.engine.clock import clock_array
    from symphony.engine.hook import ControlApplier, LaneHook
    from symphony.engine.lanes import LaneReader
    from symphony.engine.thread_state import keep_thread_state
    ctx = mp.get_context("spawn")
    gain = pyo.Sig(0.0)
    applier = ControlApplier([gain.setValue], [-60.0], [0.0], [0.0], ["master"], 0, 0.1)
    pipes = [ctx.Pipe(duplex=False) for _ in range(2)]
    if variant == "lanes":
        s.setCallback(LaneHook(applier, LaneReader([r for r, _ in pipes]), clock_array(ctx)))
    else:
        changes, lane, first = ctx.Queue(maxsize=65536), pipes[1][0], [True]
        def hook():
            if first[0]:
                keep_thread_state()
                first[0] = False
            try:
                changes.get_nowait()
            except queue.Empty:
                pass
            lane.poll()
            applier.tick_master()
        s.setCallback(hook)
s.start()
stop = threading.Event()
signal.signal(signal.SIGINT, lambda *a: stop.set())
print("ready", flush=True)
stop.wait()
s.stop()
"""

VARIANTS = {
    "none": "no hook (bare pyo)",
    "empty": "empty hook",
    "kept": "empty hook, thread state kept",
    "queue": "queue hook (before)",
    "lanes": "lane hook (now)",
}


def cpu_and_faults(pid: int) -> tuple[float, int]:
    """CPU seconds and minor faults of a whole process (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, int(fields[7])


def measure(variant: str, period: int, seconds: float) -> dict[str, float]:
    import jack

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(period), variant],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # pyo may print its own lines first
            if line.strip() == b"ready":
                break
        else:
            raise RuntimeError(f"{variant}: client did not start")
        time.sleep(2.0)  # past start-up
        xruns = [0]
        counter = jack.Client("xrun_counter", no_start_server=True)
        counter.set_xrun_callback(lambda delay: xruns.__setitem__(0, xruns[0] + 1))
        counter.activate()
        cpu0, faults0 = cpu_and_faults(proc.pid)
        t0 = time.monotonic()
        time.sleep(seconds)
        cpu1, faults1 = cpu_and_faults(proc.pid)
        elapsed = time.monotonic() - t0
        counter.deactivate()
        counter.close()
    finally:
        proc.send_signal(2)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    blocks = elapsed * 48000 / period
    return {
        "cpu_us": (cpu1 - cpu0) / blocks * 1e6,
        "faults": (faults1 - faults0) / blocks,
        "xruns": xruns[0],
        "seconds": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--period", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from latency import jack_dummy

    totals = {v: {"cpu_us": 0.0, "faults": 0.0, "xruns": 0.0, "seconds": 0.0} for v in VARIANTS}
    with jack_dummy(args.period, realtime=False):
        for r in range(args.rounds):
            order = list(VARIANTS) if r % 2 == 0 else list(VARIANTS)[::-1]
            for variant in order:
                row = measure(variant, args.period, args.seconds)
                for key, value in row.items():
                    totals[variant][key] += value
                print(f"  round {r + 1}: {variant}: {row}", file=sys.stderr)
    print(
        f"\nJACK dummy --no-realtime, 48000 Hz, {args.period} frames; "
        f"{args.rounds} x {args.seconds:g} s per variant\n"
    )
    print("| variant | CPU per block (us) | minor faults per block | xruns/min |")
    print("|---|---:|---:|---:|")
    for variant, label in VARIANTS.items():
        t = totals[variant]
        n = args.rounds
        per_min = t["xruns"] * 60.0 / t["seconds"]
        print(f"| {label} | {t['cpu_us'] / n:.1f} | {t['faults'] / n:.2f} | {per_min:.1f} |")


if __name__ == "__main__":
    main()
