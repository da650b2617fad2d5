"""Scene automation: named parameter snapshots with timed crossfades.

A scene is a snapshot of some parameters (and of mapping depths). Cues start
scenes at given times, each with a crossfade. Snapshots are cumulative: a
parameter a scene does not mention keeps the value the previous scene gave
it. A crossfade starts from wherever the value is at the cue, even in the
middle of the previous crossfade, so nothing ever jumps.

Crossfades run in each parameter's *position* space (its curve), so a
frequency glides in equal musical steps, with a smoothstep in time.

The value at time t is a pure function of t and the cue list: a live show
and its offline render ask the same question and get the same answer.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.engine.params import Param
from symphony.mapping.curves import Curve, _is_geometric, shape, to_range
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import PerformanceSpec, SceneSpec

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Segment:
    """From `start` (time), crossfade over `fade` seconds toward `target` positions."""

    start: float
    fade: float
    target: Array  # positions 0..1 for scene-controlled rows, shape (rows,)
    max_rise: float  # dB/s allowed for gains from this cue on


class SceneAutomation:
    """Positions over time for the continuous targets and the mapping depths.

    Rows are the layout's continuous targets followed by one row per mapping
    (its depth, 0..1, default 1).
    """

    def __init__(self, spec: PerformanceSpec, layout: ControlLayout, initial: list[float]) -> None:
        self.targets = layout.continuous()
        self.params = [t.param for t in self.targets]
        self.mapping_labels = [m.label for m in spec.mappings]
        n_t = len(self.targets)
        row_of = {t.name: i for i, t in enumerate(self.targets)}
        first = np.array(
            [
                p.to_position(initial[t.index])
                for p, t in zip(self.params, self.targets, strict=True)
            ]
            + [1.0] * len(self.mapping_labels)
        )
        self.initial = first
        self.default_rise = spec.output.max_gain_rise_db_per_s
        self.segments: list[Segment] = []
        snapshot = first.copy()
        for cue in spec.timeline:
            scene = spec.scenes[cue.scene]
            snapshot = snapshot.copy()
            for key, value in scene.params.items():
                row = row_of[key]
                snapshot[row] = self.params[row].to_position(value)
            for label, depth in scene.mappings.items():
                snapshot[n_t + self.mapping_labels.index(label)] = depth
            rise = cue.max_gain_rise_db_per_s or self.default_rise
            self.segments.append(Segment(cue.at, cue.crossfade, snapshot, rise))
        # For one time at a time (live): continuous rows grouped by how their
        # position becomes a value, so one frame is a few array operations.
        self._groups = _curve_groups(self.params)
        self._starts: list[float] = []
        self._chain: list[Array] = []  # where each segment starts from
        self._settled: dict[int, tuple[Array, Array]] = {}  # segment -> values once faded
        self._index()

    def add_cue(self, scene: SceneSpec, at: float, fade: float) -> None:
        """A scene called live (a performer's button): cue it now, over `fade` seconds.

        Its snapshot builds on the scene in force at `at`; the crossfade starts
        from wherever each value is then, so nothing jumps.
        """
        before = [s for s in self.segments if s.start <= at]
        base = before[-1].target if before else self.initial
        snapshot = base.copy()
        n_t = len(self.targets)
        row_of = {t.name: i for i, t in enumerate(self.targets)}
        for key, value in scene.params.items():
            snapshot[row_of[key]] = self.params[row_of[key]].to_position(value)
        for label, depth in scene.mappings.items():
            snapshot[n_t + self.mapping_labels.index(label)] = depth
        rise = before[-1].max_rise if before else self.default_rise
        self.segments.insert(len(before), Segment(at, fade, snapshot, rise))
        self._index()

    def _index(self) -> None:
        """Start times and start values of the segments, as `positions` computes them."""
        self._starts = [s.start for s in self.segments]
        self._chain = []
        current = self.initial
        for k, seg in enumerate(self.segments):
            self._chain.append(current)
            if k + 1 < len(self.segments):
                end = self.segments[k + 1].start
                current = self._fade(current, seg, np.array([end]))[:, 0]
        self._settled = {}

    def positions(self, times: Array) -> Array:
        """Positions (rows, frames) at the given times (seconds, ascending)."""
        t = np.asarray(times, dtype=np.float64)
        out = np.repeat(self.initial[:, None], t.size, axis=1)
        current = self.initial
        for k, seg in enumerate(self.segments):
            end = self.segments[k + 1].start if k + 1 < len(self.segments) else np.inf
            start_value = current
            sel = (t >= seg.start) & (t < end)
            if np.any(sel):
                out[:, sel] = self._fade(start_value, seg, t[sel])
            # Where this segment leaves the value when the next cue comes.
            if np.isfinite(end):
                current = self._fade(start_value, seg, np.array([end]))[:, 0]
        return out

    @staticmethod
    def _fade(start: Array, seg: Segment, t: Array) -> Array:
        if seg.fade <= 0:
            w = np.ones_like(t)
        else:
            w = shape(np.clip((t - seg.start) / seg.fade, 0.0, 1.0), "scurve")
        return start[:, None] + (seg.target - start)[:, None] * w[None, :]

    def values(self, times: Array) -> tuple[Array, Array]:
        """Native values of the continuous targets and the mapping depths."""
        t = np.asarray(times, dtype=np.float64)
        if t.size == 1:
            return self._values_at(float(t.reshape(-1)[0]))
        pos = self.positions(times)
        n_t = len(self.targets)
        native = np.empty((n_t, pos.shape[1]))
        for i, p in enumerate(self.params):
            native[i] = to_range(pos[i], p.low, p.high, p.curve)
        return native, pos[n_t:]

    def _values_at(self, t: float) -> tuple[Array, Array]:
        """`values` for one time (a live frame): only the segment in force is faded.

        The same operations as `positions` and `values` on the same numbers,
        so a live frame equals the offline render's frame; once a crossfade
        is over, the values do not change until the next cue and are kept.
        """
        k = bisect.bisect_right(self._starts, t) - 1
        settled = (
            k < 0
            or self.segments[k].fade <= 0
            or (t - self._starts[k]) / self.segments[k].fade >= 1.0
        )
        if settled and k in self._settled:
            native, depths = self._settled[k]
            return native.copy(), depths.copy()
        if k < 0:
            pos = self.initial[:, None].copy()
        else:
            pos = self._fade(self._chain[k], self.segments[k], np.array([t]))
        n_t = len(self.targets)
        native = np.empty((n_t, 1))
        for rows, low, high, curve, geometric in self._groups:
            a = np.clip(pos[rows, 0], 0.0, 1.0)
            if geometric:
                native[rows, 0] = low * np.power(high / low, a)
            else:
                native[rows, 0] = low + (high - low) * shape(a, curve)
        depths = pos[n_t:]
        if settled:
            self._settled[k] = (native.copy(), depths.copy())
        return native, depths

    def max_rise(self, times: Array) -> Array:
        """Allowed gain rise (dB/s) at each time."""
        t = np.asarray(times, dtype=np.float64)
        if t.size == 1:  # a live frame: the segment in force says
            k = bisect.bisect_right(self._starts, float(t.reshape(-1)[0])) - 1
            return np.array([self.segments[k].max_rise if k >= 0 else self.default_rise])
        out = np.full(t.size, self.default_rise)
        for seg in self.segments:
            out[t >= seg.start] = seg.max_rise
        return out


def _curve_groups(params: list[Param]) -> list[tuple[IntArray, Array, Array, Curve, bool]]:
    """Rows of each (curve, geometric) kind with their ranges: `to_range` on many rows at once."""
    kinds: dict[tuple[Curve, bool], list[int]] = {}
    for i, p in enumerate(params):
        geometric = p.curve == "exp" and _is_geometric(p.low, p.high)
        kinds.setdefault((p.curve, geometric), []).append(i)
    return [
        (
            np.array(rows, dtype=np.intp),
            np.array([params[i].low for i in rows], dtype=np.float64),
            np.array([params[i].high for i in rows], dtype=np.float64),
            curve,
            geometric,
        )
        for (curve, geometric), rows in kinds.items()
    ]
