"""Planted bodies and a scan of every file a run wrote, for the consent tests.

Each planted person has a heart-rate pattern no one else has (a square
wave, a sine, a triangle) and raw PPG samples sitting on a distinctive
offset (e.g. 12345.xxx), so that their data can be recognised anywhere:

- raw samples: the offset's digits in any text, their float32/float64
  bytes in any binary file;
- beat times: their repr in any text, and trigger events in the session log
  that line up with their beats (at any latency up to a few seconds);
- lanes: any parameter in the session log whose value follows their heart
  rate (correlation on a 1 s grid, at any lag up to a few seconds).

The same checks run on the consenting people, whose data must be found: a
scan that cannot find what is there proves nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
PPG_RATE = 64.0
# Lags searched (s): the log's clock starts when the engine first plays, which a loaded
# machine delays by up to about 10 s after the header's wall time; features lag a few s.
LAG_BEFORE, LAG_AFTER = 14.0, 8.0


@dataclass(frozen=True)
class Body:
    """One planted person: PPG samples, their true beats and heart rate."""

    name: str
    offset: float  # the raw samples sit on it: a marker no other value has
    ppg: Array
    beats: Array
    hr_times: Array
    hr: Array

    @property
    def marker(self) -> re.Pattern[str]:
        """The raw samples' integer part followed by a decimal point, in any text."""
        whole = int(self.offset)
        return re.compile(rf"(?<![\d.]){whole}\.\d|(?<![\d.]){whole + 1}\.\d")


def pulse_body(
    name: str, hr: Callable[[Array], Array], duration: float, offset: float, seed: int
) -> Body:
    """A PPG wave whose pulses arrive at the beats of heart rate `hr(t)` (bpm)."""
    rng = np.random.default_rng(seed)
    n = int(duration * PPG_RATE)
    t = np.arange(n) / PPG_RATE
    rate = hr(t)
    cycles = np.cumsum(rate / 60.0) / PPG_RATE + rng.random()
    crossings = np.flatnonzero(np.diff(np.floor(cycles)) > 0) + 1
    beats = t[crossings]
    s = np.arange(int(1.0 * PPG_RATE)) / PPG_RATE
    shape = np.where(s < 0.13, np.exp(-0.5 * ((s - 0.13) / 0.045) ** 2), 0.0)
    shape = shape + np.where(s >= 0.13, np.exp(-0.5 * ((s - 0.13) / 0.13) ** 2), 0.0)
    shape += 0.35 * np.exp(-0.5 * ((s - 0.39) / 0.07) ** 2)
    x = np.zeros(n + shape.size)
    for k in crossings:
        x[k : k + shape.size] += shape
    x = x[:n] + 0.02 * rng.standard_normal(n) + 0.1 * np.sin(2 * np.pi * 0.25 * t)
    # Kept a little inside 0..1 above the offset, so every sample reads OFFSET.xxx.
    x = 0.1 + 0.8 * (x - x.min()) / (x.max() - x.min())
    grid = np.arange(0.0, duration, 1.0)
    return Body(name, offset, x + offset, beats, grid, hr(grid))


def square(low: float, high: float, period: float) -> Callable[[Array], Array]:
    return lambda t: np.where(np.mod(t, period) < period / 2, low, high)


def sine(mid: float, depth: float, period: float) -> Callable[[Array], Array]:
    return lambda t: mid + depth * np.sin(2 * np.pi * t / period)


def triangle(low: float, high: float, period: float) -> Callable[[Array], Array]:
    return lambda t: low + (high - low) * (1 - np.abs(2 * np.mod(t / period, 1.0) - 1))


# ---------------------------------------------------------------- files


def written_files(roots: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file()]
    return sorted(set(files))


def _read(path: Path) -> bytes:
    """A file's bytes; b"" for one that went away meanwhile (shared memory of a client)."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, PermissionError):
        return b""


def _binary_needles(body: Body, count: int = 64) -> list[bytes]:
    """float64 and float32 bytes of some of the samples (as sent over OSC: float32)."""
    picks = body.ppg[:: max(1, body.ppg.size // count)][:count]
    out = []
    for v in picks:
        out.append(np.float64(v).tobytes())
        out.append(np.float32(v).tobytes())
        out.append(np.float64(np.float32(v)).tobytes())
    return out


def raw_traces(body: Body, files: Iterable[Path]) -> list[str]:
    """Files holding any of `body`'s raw samples, as text or as binary floats."""
    found = []
    needles = _binary_needles(body)
    for path in files:
        data = _read(path)
        text = data.decode("utf-8", errors="replace")
        if body.marker.search(text):
            found.append(f"{path}: raw sample {body.marker.search(text).group(0)}...")  # type: ignore[union-attr]
        elif any(n in data for n in needles):
            found.append(f"{path}: a raw sample as binary float")
    return found


def beat_time_traces(body: Body, files: Iterable[Path], count: int = 40) -> list[str]:
    """Text files that hold `body`'s beat times (to the ms), more than chance allows."""
    found = []
    stamps = {f"{b:.3f}" for b in body.beats[:count]}
    for path in files:
        text = _read(path).decode("utf-8", errors="replace")
        hits = sum(s in text for s in stamps)
        if hits > len(stamps) // 2:
            found.append(f"{path}: {hits} of {len(stamps)} beat times")
    return found


# ---------------------------------------------------------------- the session log


def lanes(
    names: list[str], blocks: Array, targets: Array, values: Array, seconds_per_block: float
) -> dict[str, tuple[Array, Array]]:
    """(times, values) of every target the log changed."""
    out: dict[str, tuple[Array, Array]] = {}
    times = blocks * seconds_per_block
    for target in np.unique(targets):
        pick = targets == target
        out[names[int(target)]] = (times[pick], values[pick])
    return out


def best_correlation(
    times: Array, values: Array, body: Body, start: float, span: tuple[float, float]
) -> float:
    """|r| between a held lane and `body`'s heart rate over body times `span`, on a 1 s
    grid; `start` is the log time of the body's t = 0, known only roughly, so the best
    lag in -LAG_BEFORE..LAG_AFTER is taken (the features and the smoothing lag too)."""
    if times.size < 2:
        return 0.0
    best = 0.0
    body_grid = np.arange(span[0], span[1], 1.0)
    hr = np.interp(body_grid, body.hr_times, body.hr)
    for lag in np.arange(-LAG_BEFORE, LAG_AFTER + 0.01, 0.5):
        grid = body_grid + start + lag
        at = np.searchsorted(times, grid, side="right") - 1
        lane = np.where(at >= 0, values[np.clip(at, 0, None)], np.nan)
        ok = np.isfinite(lane)
        if ok.sum() < 8 or np.std(lane[ok]) < 1e-9 or np.std(hr[ok]) < 1e-9:
            continue
        r = float(np.corrcoef(lane[ok], hr[ok])[0, 1])
        if math.isfinite(r):
            best = max(best, abs(r))
    return best


def beat_match(
    events: Array, body: Body, start: float, span: tuple[float, float], window: float
) -> float:
    """The share of `body`'s beats (body time `span`) that an event follows within `window`
    (triggers fire at room updates), `start` as in `best_correlation`, best latency -2..4 s."""
    beats = body.beats[(body.beats >= span[0]) & (body.beats < span[1])] + start
    if beats.size == 0 or events.size == 0:
        return 0.0
    events = np.sort(events)
    best = 0.0
    for lag in np.arange(-2.0, 4.0, 0.01):
        at = np.searchsorted(events, beats + lag)
        inside = events[np.clip(at, 0, events.size - 1)] <= beats + lag + window
        best = max(best, float(((at < events.size) & inside).mean()))
    return best


def event_rate(events: Array, start: float, end: float) -> tuple[Array, Array]:
    """(times, events per minute) on a 1 s grid: a train's heart rate, from the median of
    each 5 intervals around it, whatever latency and batching the control loop adds to
    each event (a beat found late shortens one interval and lengthens the next)."""
    events = np.sort(events)
    grid = np.arange(start, end, 1.0)
    if events.size < 6:
        return grid, np.full(grid.size, np.nan)
    intervals = np.diff(events)
    windows = np.lib.stride_tricks.sliding_window_view(intervals, 5)
    rate = 60.0 / np.maximum(np.median(windows, axis=1), 1e-3)
    at = events[3 : 3 + rate.size]  # each median sits at its middle event
    return grid, np.interp(grid, at, rate, left=np.nan, right=np.nan)


def owned_lines(log: Path, person: str, names: list[str], suffix: str) -> int:
    """Session log lines kept with `person` among their owners (``@anna``), on targets
    whose name ends with `suffix`: what a consenting person's own voice left."""
    count = 0
    for line in log.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[0] == "c" and parts[4].startswith("@"):
            owners = parts[4][1:].split(",")
            if person in owners and names[int(parts[2])].endswith(suffix):
                count += 1
    return count
