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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.mapping.curves import shape, to_range
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import PerformanceSpec, SceneSpec

Array = npt.NDArray[np.float64]


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
        pos = self.positions(times)
        n_t = len(self.targets)
        native = np.empty((n_t, pos.shape[1]))
        for i, p in enumerate(self.params):
            native[i] = to_range(pos[i], p.low, p.high, p.curve)
        return native, pos[n_t:]

    def max_rise(self, times: Array) -> Array:
        """Allowed gain rise (dB/s) at each time."""
        t = np.asarray(times, dtype=np.float64)
        out = np.full(t.size, self.default_rise)
        for seg in self.segments:
            out[t >= seg.start] = seg.max_rise
        return out
