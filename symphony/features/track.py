"""Features of one participant over time: the output of feature extraction.

Features are sampled on a fixed frame clock (`rate` frames per second, frame
k at time ``start + k / rate``), which is what lets the offline render apply
them at exactly the block indices a live show would. Discrete happenings
(heartbeats, breath onsets) are kept as event times, not frames, so the
heartbeat layer can pulse with each beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class FeatureInfo:
    """What a feature means: unit, typical range and a sentence for the UI."""

    name: str
    unit: str
    low: float
    high: float
    doc: str


@dataclass
class FeatureTrack:
    """Features of one participant, frame-aligned, plus event times.

    Values are float64 arrays of equal length, NaN where not yet known (for
    instance before the first heartbeat was seen).
    """

    participant: str
    rate: float
    start: float
    values: dict[str, npt.NDArray[np.float64]]
    events: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    def times(self) -> npt.NDArray[np.float64]:
        return self.start + np.arange(self.n_frames) / self.rate
