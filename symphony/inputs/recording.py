"""The shape of participants' raw signals, whatever source they came from.

Every source (simulator, recording file, BrainFlow, LSL, OSC) ends up as
`Signal` chunks per participant, so the feature extractors never need to know
where the samples came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

# Signal kinds the feature extractors understand.
SIGNAL_KINDS = ("ppg", "ecg", "resp", "eeg", "eda")


@dataclass
class Signal:
    """Samples of one kind from one participant at a fixed rate.

    `data` has shape (n_samples,) for single-channel signals and
    (n_channels, n_samples) for EEG. `start` is the time in seconds of the
    first sample on the performance clock.
    """

    kind: str
    rate: float
    data: npt.NDArray[np.float64]
    unit: str = ""
    start: float = 0.0

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[-1])

    @property
    def duration(self) -> float:
        return self.n_samples / self.rate


@dataclass
class ParticipantRecording:
    """All signals of one participant, plus ground truth when simulated.

    `truth` holds what the simulator knows for sure (beat times, breath phase,
    the scripted state), so tests can check the feature extractors against it.
    """

    participant: str
    signals: dict[str, Signal]
    consent: bool = True
    truth: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
