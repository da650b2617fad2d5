"""CPU cost of one live control frame (`LiveControl.step`) at the design load.

`symphony live` runs `LiveControl` in its own process at the control rate
(50 frames/s): poll the sources, pull everyone's features, the collective
state, the conductor (scenes + mappings), performer arbitration and the sends
to the engine, heartbeat triggers, and the snapshot the console reads. That
process shares two cores with JACK's audio threads, so every millisecond it
spends per frame is a millisecond the audio may be late.

Here the same `LiveControl` is built as `symphony live --participants N`
builds it (`live_sources`: a simulated group following the scenes), with the
positions array and LED board it gets when MIDI runs, but on a fake clock
advanced by exactly one control period per step (so the run is as fast as the
CPU allows and repeatable) and a send function that only counts. CPU time
(time.process_time) is measured per step and per stage:

- poll+features: the console's keys and MIDI commands, the sources, the
  feature pull;
- room: everyone's latest frame to the room's state (`collective/room.py`);
- conductor: scene automation and mappings (the played values and their
  public twin, for the session log);
- sends: arbitration, overrides, positions, changed values, heartbeat triggers;
- publish: the console's snapshot.

Sources are polled, features pulled and the room updated every `ROOM_HOP`
seconds (collective/room.py); `--hop 0` does it at every frame, for a
comparison in the same run.

The first `--warmup` seconds (features warming up) are not counted.

Usage: python benchmarks/control_step.py [--participants 1 8 16 64] [--seconds 30]
       [--performance performances/demo.toml ...] [--profile 16]
"""

from __future__ import annotations

import argparse
import cProfile
import math
import multiprocessing as mp
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import symphony.live.control as live_control
from symphony.collective.room import ROOM_HOP
from symphony.live.control import LiveControl
from symphony.live.show_state import ShowBoard, board_size
from symphony.performance.loader import load_performance
from symphony.performance.sources import live_sources

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCES = (ROOT / "performances" / "demo.toml", ROOT / "performances" / "latency-probe.toml")
STAGES = ("poll+features", "room", "conductor", "sends", "publish")
# Which methods of LiveControl make up each stage (the rest are timed in `measure`).
STAGE_METHODS = {
    "poll+features": ("_drain", "poll_sources"),
    "sends": ("_send_values", "_fire"),
}
TARGET_MS = 2.0  # per step with 16 participants: 10 % of a core at 50 Hz


class FakeClock:
    """Show time that moves only when the benchmark says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def build(path: Path, participants: int, seconds: float) -> tuple[LiveControl, FakeClock]:
    performance = load_performance(path)
    spec = performance.spec
    clock = FakeClock()
    seed = spec.performance.seed
    sources, _ = live_sources(spec, performance.path, participants, seed, clock, seconds + 1.0)
    sent = {"n": 0}

    def send(target: int, value: float, tag: int = 0) -> bool:
        sent["n"] += 1
        return True

    control = LiveControl(performance, sources, send, clock)
    # As with MIDI running: the shared positions array and the LED board.
    ctx = mp.get_context("spawn")
    control.positions = ctx.Array("d", [math.nan] * len(control.layout), lock=False)
    layers = [layer.name for layer in spec.layers]
    board = ctx.Array("i", board_size(layers), lock=False)
    control.board = ShowBoard(list(spec.scenes), layers, board)
    return control, clock


def set_hop(control: LiveControl, seconds: float) -> None:
    """Room updates (poll, pull, room) every `seconds` instead of every ROOM_HOP (0: every frame).

    For comparison only: a live show and its render must agree on the hop.
    """
    control.hop = max(1, round(seconds * control.rate))


def _timed(fn: Callable[..., Any], bucket: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            bucket[0] += time.process_time() - start

    return wrapper


def measure(
    path: Path, participants: int, seconds: float, warmup: float, hop: float | None
) -> tuple[int, np.ndarray, dict[str, float]]:
    """Steps counted, CPU ms of each step, mean CPU ms per step of each stage (and the rate)."""
    control, clock = build(path, participants, seconds + warmup)
    if hop is not None:
        set_hop(control, hop)
    buckets = {stage: [0.0] for stage in STAGES}
    for stage, methods in STAGE_METHODS.items():
        for name in methods:
            setattr(control, name, _timed(getattr(control, name), buckets[stage]))
    features, room = control.features, control.room
    features.pull = _timed(features.pull, buckets["poll+features"])  # type: ignore[method-assign]
    room.update = _timed(room.update, buckets["room"])  # type: ignore[method-assign]
    for conductor in (control.conductor, control.public):
        conductor.step = _timed(conductor.step, buckets["conductor"])  # type: ignore[method-assign]
    publish = live_control.publish
    live_control.publish = _timed(publish, buckets["publish"])  # type: ignore[assignment]
    period = 1.0 / control.rate
    for k in range(round(warmup * control.rate)):
        clock.now = k * period
        control.step()
    for b in buckets.values():
        b[0] = 0.0
    first = round(warmup * control.rate)
    steps = round(seconds * control.rate)
    per_step = np.empty(steps)
    for i in range(steps):
        clock.now = (first + i) * period
        start = time.process_time()
        control.step()
        per_step[i] = time.process_time() - start
    live_control.publish = publish  # type: ignore[assignment]
    for source in control.sources:
        source.close()
    stages = {s: 1e3 * b[0] / steps for s, b in buckets.items()}
    stages["rate"] = control.rate  # for the share of a core
    return steps, 1e3 * per_step, stages


def profile(path: Path, participants: int, seconds: float) -> None:
    control, clock = build(path, participants, seconds)
    period = 1.0 / control.rate
    profiler = cProfile.Profile()
    profiler.enable()
    for k in range(round(seconds * control.rate)):
        clock.now = k * period
        control.step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[1, 8, 16, 64])
    parser.add_argument("--seconds", type=float, default=30.0, help="show seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="show seconds not counted")
    parser.add_argument("--performance", type=Path, nargs="+", default=list(PERFORMANCES))
    parser.add_argument("--profile", type=int, help="cProfile this many participants instead")
    parser.add_argument(
        "--hop",
        type=float,
        nargs="+",
        default=[ROOM_HOP, 0.0],
        help="seconds between room updates to compare (0: every frame, the old way)",
    )
    args = parser.parse_args()
    if args.profile:
        profile(args.performance[0], args.profile, args.seconds)
        return
    head = f"{'performance':<16}{'hop s':>6}{'people':>7}{'steps':>7}"
    head += f"{'mean ms':>9}{'p95 ms':>8}{'% core':>8}"
    print(head + "".join(f"{s:>15}" for s in STAGES))
    for path in args.performance:
        for hop, n in ((h, n) for h in args.hop for n in args.participants):
            steps, per_step, stages = measure(path, n, args.seconds, args.warmup, hop)
            mean = float(per_step.mean())
            line = (
                f"{path.stem:<16}{hop:>6.2f}{n:>7}{steps:>7}{mean:>9.2f}"
                f"{float(np.percentile(per_step, 95)):>8.2f}{mean * stages.pop('rate') / 10:>8.1f}"
            )
            print(line + "".join(f"{stages[s]:>15.2f}" for s in STAGES), flush=True)
    print(f"(stage columns: mean CPU ms per step; target: <= {TARGET_MS:g} ms mean with 16 people)")


if __name__ == "__main__":
    main()
