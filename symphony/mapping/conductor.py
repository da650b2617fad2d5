"""The conductor: scenes + mappings + collective features -> parameter values.

This is the one control path of a show. Offline it is called once with all
frames; live it is called with each new frame. Its state (held values,
smoothers, gain slew) is carried between calls, so both give the same
numbers, which is what makes a live show re-renderable.

For each continuous target, per frame:

1. start from the scene automation's value;
2. apply each mapping in file order: ``set`` pulls the value toward the
   mapped feature by the mapping's depth (the scene can fade a mapping in and
   out); ``add`` adds the mapped offset scaled by depth; a mapping whose
   feature is still unknown leaves the value alone. The depth is also scaled
   by the feature's *presence* (0..1, from the collective stage: how much of
   the room backs it), so as the first people fade in a mapping fades in
   with them, and an empty room plays the scene's own values, the neutral
   bed;
3. clamp to the target's range and replace anything non-finite by the last
   good value;
4. limit how fast gains may rise (dB per second), so no scene change or
   mapping can make the room suddenly loud.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt

from symphony.mapping.curves import to_range
from symphony.mapping.layout import ControlLayout
from symphony.mapping.mapper import Hold, OnePole, map_value
from symphony.mapping.scenes import SceneAutomation
from symphony.performance.schema import MappingSpec, PerformanceSpec

Array = npt.NDArray[np.float64]
log = logging.getLogger(__name__)


class _MappingState:
    def __init__(self, spec: MappingSpec, row: int, depth_row: int, rate: float) -> None:
        self.spec = spec
        self.feature = spec.source.split(".", 1)[1]
        self.row = row
        self.depth_row = depth_row
        self.hold = Hold()
        self.smooth = OnePole(spec.smoothing, rate)

    def contribution(self, features: dict[str, Array], n: int) -> Array:
        x = features.get(self.feature)
        if x is None:
            x = np.full(n, np.nan)
        mapped = map_value(
            self.hold(x), self.spec.in_range, self.spec.out_range, self.spec.curve, self.spec.invert
        )
        return self.smooth(mapped)

    def contribution_one(self, features: dict[str, Array]) -> float:
        """`contribution` for one frame (a live show): the same numbers, a few float operations."""
        x = features.get(self.feature)
        held = self.hold.one(float(x[0]) if x is not None else math.nan)
        s = self.spec
        lo, hi = s.in_range
        u = (held - lo) / (hi - lo)
        if not math.isfinite(u):
            return self.smooth.one(math.nan)
        u = min(max(u, 0.0), 1.0)
        if s.invert:
            u = 1.0 - u
        return self.smooth.one(to_range(u, s.out_range[0], s.out_range[1], s.curve))


class Conductor:
    """Turns collective features into values for every continuous target."""

    def __init__(
        self, spec: PerformanceSpec, layout: ControlLayout, initial: list[float], rate: float
    ) -> None:
        self.rate = rate
        self.layout = layout
        self.scenes = SceneAutomation(spec, layout, initial)
        self.targets = self.scenes.targets
        row_of = {t.name: i for i, t in enumerate(self.targets)}
        self.mappings = [
            _MappingState(m, row_of[m.target], i, rate) for i, m in enumerate(spec.mappings)
        ]
        self.lows = np.array([t.param.low for t in self.targets])
        self.highs = np.array([t.param.high for t in self.targets])
        self.last_good = np.array([initial[t.index] for t in self.targets], dtype=np.float64)
        self.gain_rows = [i for i, t in enumerate(self.targets) if t.kind in ("gain", "master")]
        self.reported: set[int] = set()

    def step(
        self,
        times: Array,
        features: dict[str, Array],
        presence: dict[str, Array] | None = None,
    ) -> Array:
        """Values (targets, frames) for frames at `times` given collective features.

        `presence` (per feature, 0..1 per frame) scales each mapping's depth;
        a feature it does not name counts as fully present.
        """
        t = np.asarray(times, dtype=np.float64)
        n = t.size
        values, depths = self.scenes.values(t)
        presence = presence or {}
        if n == 1:
            return self._step_one(t, values, depths, features, presence)
        for m in self.mappings:
            mapped = m.contribution(features, n)
            depth = depths[m.depth_row]
            backed = presence.get(m.feature)
            if backed is not None:
                depth = depth * backed
            row = values[m.row]
            known = np.isfinite(mapped)
            if m.spec.mode == "set":
                values[m.row] = np.where(known, row + depth * (mapped - row), row)
            else:
                values[m.row] = row + depth * np.where(known, mapped, 0.0)
        values = self._sanitize(values)
        np.clip(values, self.lows[:, None], self.highs[:, None], out=values)
        self._limit_gain_rise(values, self.scenes.max_rise(t))
        if n:
            self.last_good = values[:, -1].copy()
        return values

    def _step_one(
        self,
        t: Array,
        values: Array,
        depths: Array,
        features: dict[str, Array],
        presence: dict[str, Array],
    ) -> Array:
        """`step` for one frame (a live show): the same arithmetic on floats, not arrays."""
        for m in self.mappings:
            mapped = m.contribution_one(features)
            depth = float(depths[m.depth_row, 0])
            backed = presence.get(m.feature)
            if backed is not None:
                depth = depth * float(backed[0])
            row = float(values[m.row, 0])
            if m.spec.mode == "set":
                if math.isfinite(mapped):
                    values[m.row, 0] = row + depth * (mapped - row)
            else:
                values[m.row, 0] = row + depth * (mapped if math.isfinite(mapped) else 0.0)
        values = self._sanitize(values)
        np.clip(values, self.lows[:, None], self.highs[:, None], out=values)
        limit = float(self.scenes.max_rise(t)[0]) / self.rate
        for row in self.gain_rows:  # `_limit_gain_rise` for one frame
            previous = float(self.last_good[row])
            v = float(values[row, 0])
            if not v - previous <= limit + 1e-12 and v > previous + limit:
                values[row, 0] = previous + limit
        self.last_good = values[:, -1].copy()
        return values

    def _sanitize(self, values: Array) -> Array:
        bad = ~np.isfinite(values)
        if not bad.any():
            return values
        for row in np.flatnonzero(bad.any(axis=1)):
            if row not in self.reported:
                self.reported.add(int(row))
                log.warning(
                    "non-finite value for %s held at its last good value (reported once)",
                    self.targets[row].name,
                )
            held = Hold()
            held.last = float(self.last_good[row])
            values[row] = held(values[row])
        return values

    def _limit_gain_rise(self, values: Array, max_rise_db_s: Array) -> None:
        step = max_rise_db_s / self.rate
        for row in self.gain_rows:
            previous = float(self.last_good[row])
            series = values[row]
            limits = step
            # Only rising steps beyond the limit need the sequential pass.
            if series.size and np.all(np.diff(series, prepend=previous) <= limits + 1e-12):
                continue
            out = series.tolist()
            lim = limits.tolist()
            for k, v in enumerate(out):
                ceiling = previous + lim[k]
                if v > ceiling:
                    v = ceiling
                out[k] = v
                previous = v
            values[row] = np.asarray(out)
            if not math.isfinite(previous):  # pragma: no cover - sanitised above
                raise AssertionError("gain became non-finite")
