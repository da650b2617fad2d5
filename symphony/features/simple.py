"""Simple, causal, streaming features of one participant, on the frame clock.

`ParticipantFeatures` takes raw `Signal` chunks of any size and kind (ppg, ecg,
resp, eeg, eda) and gives `FeatureTrack` frames at k / rate seconds. Chunking
never changes the result: feeding a whole recording gives bit-identical
frames and events to feeding it in ragged pieces, because every stage carries
its exact state from chunk to chunk (see `stream.py`). Memory is bounded:
state is filter conditions and a few short histories; frames wait only until
`pull` takes them.

Frames wait for every signal kind seen so far, up to `max_lag` seconds: a
kind that falls further behind (a sensor that dropped out) counts as missing
for those frames, so the others are not held hostage. `pull(now=...)` also
advances the clock when nothing arrives at all, which is how a silent
participant fades to quality 0 during a live show.

Features that depend on a bad signal hold their last output and glide
toward neutral (the personal baseline, or 0.5 for 0..1 features) with a 5 s
time constant, and glide back (2 s) when the signal returns; `quality` says
how much to believe the rest (it drops at once on bad signal and recovers
over seconds), and `stale` turns 1 when nothing at all has arrived for over
a second (seen by `pull(now=...)` within 1.5 s).

Relative features (arousal, relaxation, breath depth) compare each person
with their own baseline: the median of 2 s block medians of their good
frames over the last 5 minutes, or, given `calibration=(start, end)`, of
that window alone (e.g. the opening rest scene), kept for the whole show;
deviations are measured in the person's own spread (from median absolute
deviations, see `combine.py`).

Heart features come from an ECG when there is one, else from the PPG.
Breathing comes from the respiration belt; without one, or when the belt
stops (flat, silent, slipped) for over 2 s, it is derived from the pulse
(see `derived.py`), gliding between the two over 3 s.

`ParticipantFeatures` is a group of one (`group.py`): the live show runs the
same code for everyone at once.
"""

from __future__ import annotations

import numpy as np

from symphony.features.group import EVENTS, FEATURES, KINDS, GroupFeatures
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import ParticipantRecording, Signal

__all__ = ["EVENTS", "FEATURES", "ParticipantFeatures", "concat_tracks", "extract_features"]

_MAX_PENDING = 600.0  # s of frames kept for a caller who does not pull; older ones are dropped


class ParticipantFeatures:
    """Streaming, causal features of one participant (see module docstring).

    A group of one (`GroupFeatures`): the very code a live show runs for
    many participants at once, so a participant's frames are the same alone
    or in a crowd.
    """

    def __init__(
        self,
        participant: str,
        rate: float = 50.0,
        *,
        max_lag: float = 1.5,
        calibration: tuple[float, float] | None = None,
        bands: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        """`calibration`: (start, end) show seconds whose good frames alone make the
        personal baselines (e.g. the opening rest scene); None: a running baseline
        over the last ~5 minutes of good frames. `bands`: EEG band edges (Hz)
        replacing some of `eeg.BANDS`."""
        self.participant = participant
        self.rate = float(rate)
        self._group = GroupFeatures(
            rate,
            max_lag=max_lag,
            calibration=calibration,
            buffer_seconds=_MAX_PENDING,
            bands=bands,
        )
        self._group.add(participant)

    def push(self, signal: Signal) -> None:
        """Add a chunk; kinds without an extractor are ignored."""
        if signal.kind in KINDS:
            self._group.push(self.participant, signal)

    def hint(self, hints: dict[str, float], at: float) -> None:
        """Device hints (headset on, electrode contact) from show time `at` on."""
        self._group.hint(self.participant, hints, at)

    def pull(self, now: float | None = None) -> FeatureTrack:
        """Frames (and heartbeat events) completed since the last pull.

        Without `now`, frames go as far as the signals allow; with `now`,
        up to that time even if signals are late or absent.
        """
        return self._group.pull(now)[self.participant]


def extract_features(
    rec: ParticipantRecording,
    rate: float = 50.0,
    *,
    round_seconds: float = 60.0,
    calibration: tuple[float, float] | None = None,
    bands: dict[str, tuple[float, float]] | None = None,
) -> FeatureTrack:
    """Features of a whole recording (offline rendering): exactly what streaming gives.

    The recording is fed in rounds of `round_seconds` and pulled after each,
    which keeps the frames waiting inside the extractor bounded however long
    the show; chunk invariance makes the result independent of the round size.
    """
    features = ParticipantFeatures(rec.participant, rate, calibration=calibration, bands=bands)
    signals = [s for s in rec.signals.values() if s.n_samples]
    end = max((s.start + s.duration for s in signals), default=0.0)
    first = min((s.start for s in signals), default=0.0)
    pieces: list[FeatureTrack] = []
    done = dict.fromkeys(rec.signals, 0)  # samples pushed so far, per kind
    t = first
    while t < end:
        t = min(t + round_seconds, end)
        for s in signals:
            a = done[s.kind]
            b = max(a, min(s.n_samples, int(np.ceil((t - s.start) * s.rate - 1e-9))))
            done[s.kind] = b
            if b > a:
                features.push(
                    Signal(s.kind, s.rate, s.data[..., a:b], s.unit, s.start + a / s.rate)
                )
        pieces.append(features.pull())
    return concat_tracks(pieces, rec.participant, rate)


def concat_tracks(pieces: list[FeatureTrack], participant: str, rate: float) -> FeatureTrack:
    """Join consecutive pulls into one track."""
    start = pieces[0].start if pieces else 0.0
    values = {
        name: np.concatenate([p.values[name] for p in pieces]) if pieces else np.zeros(0)
        for name in FEATURES
    }
    beats = np.concatenate([p.events["heartbeat"] for p in pieces]) if pieces else np.zeros(0)
    return FeatureTrack(participant, rate, start, values, {"heartbeat": beats})
