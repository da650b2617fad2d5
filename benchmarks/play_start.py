"""How long `symphony play` takes from its process start to its first sound.

The issue asks for first sound within 2 s of the process start. This script
measures it on a private JACK dummy server, one fresh process per run,
alternated over `--rounds` with a baseline from the same run: a bare
Python process that imports pyo, boots a JACK server and plays a sine (the
least any pyo player can do). A JACK client (tests/jack_server.LevelMeter)
notes the first cycle with sound. Columns: seconds from the process start
to the first sound (median and worst), and the load average while it ran
(the machine's load moves the numbers; compare rows of one run only).

Usage: python benchmarks/play_start.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.jack_server import LevelMeter, RestartableJack  # noqa: E402
from tests.sanctuary.player import sanctuary_copy  # noqa: E402

BARE = """
import os, time
os.environ.setdefault("PYO_GUI_WX", "0")
import pyo
s = pyo.Server(sr=48000, nchnls=2, buffersize=256, duplex=0, audio="jack", jackname="symphony")
s.setJackAuto(False, False)
s.setJackAutoConnectOutputPorts([[], []])
s.boot()
a = pyo.Sine(440, mul=0.1).out()
s.start()
time.sleep(600)
"""


def first_sound(command: list[str], server: str) -> float:
    meter = LevelMeter(server)
    time.sleep(0.5)
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = started + 120.0
        while meter.first_sound_after(started) is None and time.monotonic() < end:
            time.sleep(0.01)
        heard = meter.first_sound_after(started)
        return (heard - started) if heard is not None else float("inf")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        meter.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="play-start-"))
    performance = sanctuary_copy(folder)
    play = [sys.executable, "-m", "symphony.cli", "play", str(performance)]
    play += ["--log", str(folder / "play.log"), "--day-start", "12:00"]
    variants = {"bare pyo client (baseline)": [sys.executable, "-c", BARE], "symphony play": play}
    times: dict[str, list[float]] = {name: [] for name in variants}
    loads: list[float] = []
    jack = RestartableJack()
    try:
        jack.start()
        for _ in range(args.rounds):
            for name, command in variants.items():
                times[name].append(first_sound(command, jack.name))
                loads.append(os.getloadavg()[0])
    finally:
        jack.close()
    print(f"first sound after the process start, {args.rounds} rounds")
    print(
        f"load average while measuring: {min(loads):.1f} to {max(loads):.1f}"
        f" on {os.cpu_count()} CPUs"
    )
    print("| process | median (s) | worst (s) |")
    print("|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
