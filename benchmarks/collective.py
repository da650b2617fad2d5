"""CPU cost of the collective stage per room update, synchrony and surrogates included.

A room of N biosignal participants (every one sending a feature frame at
each update and a heartbeat about every 0.85 s, their rates wandering) and
M mood participants (each phone sending a mood about every 10 s) is stepped
as the live show steps it: every person's frame observed, the beats handed
over, `Room.update` at `ROOM_HOP`. After the synchrony history has filled,
the CPU time (process time) of those steps is measured, averaged per update
and as the worst single update, and the part of it spent in the synchrony
(sampling, statistics and the surrogate slices).

The baseline, measured in the same run on the same data, is a plain numpy
implementation of the same statistics with nothing of the room around it:
nan-median and interquartile spread of each feature at every update, the
mood medians, and at the same 2 Hz hop the leave-one-out ISC of the two
rates and the phase consistency of the two phases, with their surrogates
(the same number, drawn at the same rate) computed one surrogate at a time.

Usage: python benchmarks/collective.py [--people 16 64 256 1024] [--moods 10000]
       [--seconds 20]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symphony.collective.room import INPUTS, ROOM_HOP, Room  # noqa: E402
from symphony.collective.synchrony import (  # noqa: E402
    HISTORY,
    REFRESH_EVERY,
    SURROGATES,
    SYNC_HISTORY,
    SYNC_HOP,
    WIDTH,
)

RATE = 1.0 / ROOM_HOP
_EVERY = round(SYNC_HOP / ROOM_HOP)


class Crowd:
    """Seeded feature frames, beats and moods for n bodies and m phones."""

    def __init__(self, n: int, m: int, seed: int = 1) -> None:
        self.rng = np.random.default_rng(seed)
        self.n, self.m = n, m
        self.ids = [f"p{i:04d}" for i in range(n)]
        self.phones = [f"m{i:05d}" for i in range(m)]
        self.rows = np.full((n, len(INPUTS)), 0.5)
        self.rows[:, INPUTS.index("heart_rate")] = self.rng.uniform(55, 85, n)
        self.rows[:, INPUTS.index("breath_rate")] = self.rng.uniform(10, 16, n)
        self.rows[:, INPUTS.index("quality")] = 0.9
        self.next_beat = self.rng.uniform(0, 0.85, n)
        self.breath = self.rng.random(n)

    def step(self, t: float) -> tuple[np.ndarray, list[tuple[int, float]], list[int]]:
        """Frames now, beats since the last step, phones sending now."""
        r = self.rows
        for name in ("heart_rate", "breath_rate", "arousal", "relaxation"):
            j = INPUTS.index(name)
            r[:, j] += 0.05 * self.rng.standard_normal(self.n)
        self.breath = (self.breath + ROOM_HOP / 5.0) % 1.0
        r[:, INPUTS.index("breath_phase")] = self.breath
        due = np.flatnonzero(self.next_beat <= t)
        beats = [(int(i), float(self.next_beat[i])) for i in due]
        self.next_beat[due] += 0.85
        phones = np.flatnonzero(self.rng.random(self.m) < ROOM_HOP / 10.0).tolist()
        return r.copy(), beats, phones


class _Timed:
    """Process time spent inside the room's synchrony (`Synchrony.sample` and `.work`)."""

    def __init__(self, room: Room) -> None:
        self.spent = 0.0
        sync = room.sync
        for name in ("sample", "work"):
            setattr(sync, name, self._wrap(getattr(sync, name)))

    def _wrap(self, method: Any) -> Any:
        def timed(*args: Any) -> Any:
            started = time.process_time()
            out = method(*args)
            self.spent += time.process_time() - started
            return out

        return timed


def _room_run(n: int, m: int, warm: int, timed: int) -> tuple[float, float, float]:
    """(mean, worst) process time per room step, and the mean of it spent on synchrony."""
    crowd, room = Crowd(n, m), Room()
    sync = _Timed(room)
    for i, phone in enumerate(crowd.phones):
        room.mood(phone, 0.1, -0.1 + 1e-5 * i, 0.0)
    costs = []
    for k in range(warm + timed):
        t = k * ROOM_HOP
        rows, beats, phones = crowd.step(t)
        started = time.process_time()
        for i, participant in enumerate(crowd.ids):
            room.observe_row(participant, rows[i], False, t)
        for i, when in beats:
            room.beat(crowd.ids[i], when)
        for i in phones:
            room.mood(crowd.phones[i], 0.3, 0.2, t)
        if k == warm:
            sync.spent = 0.0
        room.update(t)
        if k >= warm:
            costs.append(time.process_time() - started)
    return float(np.mean(costs)), float(np.max(costs)), sync.spent / max(1, timed)


def _plain_isc(x: np.ndarray) -> float:
    z = x - x.mean(axis=1, keepdims=True)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    others = z.sum(axis=0)[None, :] - z
    r = (z * others).sum(axis=1) / np.maximum(np.linalg.norm(others, axis=1), 1e-12)
    return float(r.mean())


def _plain_ppc(phase: np.ndarray) -> float:
    n = phase.shape[0]
    s = np.exp(2j * np.pi * phase).sum(axis=0)
    return float(((np.abs(s) ** 2 - n) / (n * (n - 1))).mean())


def _plain_run(n: int, m: int, warm: int, timed: int) -> tuple[float, float]:
    """The same statistics in plain numpy on the same frames (module docstring)."""
    crowd = Crowd(n, m)
    hist = np.zeros((n, 4, HISTORY))
    moods = np.zeros((m, 2))
    rng = np.random.default_rng(0)
    costs = []
    cols = [INPUTS.index(c) for c in ("heart_rate", "breath_rate", "breath_phase")]
    for k in range(warm + timed):
        t = k * ROOM_HOP
        rows, _, phones = crowd.step(t)
        started = time.process_time()
        np.nanmedian(rows, axis=0)
        np.nanpercentile(rows, [25, 75], axis=0)
        moods[phones] = (0.3, 0.2)
        np.median(moods, axis=0)
        if k % _EVERY == 0:
            s = k // _EVERY
            hist[:, :3, s % HISTORY] = rows[:, cols]
            hist[:, 3, s % HISTORY] = crowd.breath
            ordered = np.roll(hist, -((s + 1) % HISTORY), axis=2)
            for j in range(4):
                stat = _plain_isc if j < 2 else _plain_ppc
                stat(ordered[:, j, -WIDTH:])
                if s % REFRESH_EVERY == j:
                    for _ in range(SURROGATES):
                        off = rng.integers(0, HISTORY - WIDTH + 1, n)
                        idx = off[:, None] + np.arange(WIDTH)[None, :]
                        stat(np.take_along_axis(ordered[:, j], idx, axis=1))
        if k >= warm:
            costs.append(time.process_time() - started)
    return float(np.mean(costs)), float(np.max(costs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[16, 64, 256, 1024])
    parser.add_argument("--moods", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # the plain baseline's empty rooms
    warm = round((SYNC_HISTORY + 1.0) * RATE)
    timed = round(args.seconds * RATE)
    rooms = [(n, 0) for n in args.people] + [(0, args.moods)]
    rooms += [(256, args.moods)] if 256 in args.people else []
    print("| biosignal | moods | Room step (ms) | of it synchrony (ms) | worst step (ms) |", end="")
    print(" plain numpy (ms) | worst plain (ms) | ratio | % core at 20 Hz |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, m in rooms:
        ours, ours_worst, sync = _room_run(n, m, warm, timed)
        bare, bare_worst = _plain_run(n, m, warm, timed)
        print(
            f"| {n} | {m} | {ours * 1e3:.3f} | {sync * 1e3:.3f} | {ours_worst * 1e3:.1f} "
            f"| {bare * 1e3:.3f} | {bare_worst * 1e3:.1f} | {ours / bare:.2f} "
            f"| {ours * 20 * 100:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
