"""Simple, causal, streaming features of one participant, on the frame clock.

`ParticipantFeatures` takes raw `Signal` chunks of any size and kind (ppg,
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

Features that depend on a bad signal hold their last good value and glide
toward neutral (the personal baseline, or 0.5 for 0..1 features) with a 5 s
time constant; `quality` says how much to believe the rest (it drops at once
on bad signal and recovers over seconds), and `stale` turns 1 when nothing
at all has arrived for over a second (seen by `pull(now=...)` within 1.5 s).

Relative features (arousal, relaxation, breath depth) compare each person
with their own baseline: a running average of their good frames over the
last ~5 minutes, or, given `calibration=(start, end)`, the average of that
window alone (e.g. the opening rest scene), kept for the whole show.

Without a respiration belt, breathing is derived from the pulse (see
`derived.py`); a belt, once it sends data, replaces that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from symphony.features.channel import PROCESSORS, SignalStream
from symphony.features.combine import Baseline, Glide, PhaseRun
from symphony.features.stream import Array, BoolArray, logistic
from symphony.features.track import FeatureInfo, FeatureTrack
from symphony.inputs.recording import ParticipantRecording, Signal

FEATURES: dict[str, FeatureInfo] = {
    f.name: f
    for f in (
        FeatureInfo("heart_rate", "bpm", 40, 180, "beat-to-beat heart rate from the pulse"),
        FeatureInfo(
            "hrv_rmssd", "ms", 0, 200, "heart-rate variability: RMSSD of the last 16 beats"
        ),
        FeatureInfo(
            "breath_rate", "breaths/min", 3, 40, "breathing rate of the last cycles (belt or pulse)"
        ),
        FeatureInfo("breath_phase", "cycle", 0, 1, "position in the breath: 0 inhale starts"),
        FeatureInfo("breath_depth", "", 0, 1, "breath depth vs own usual: 0.5 usual, 0.8 double"),
        FeatureInfo("arousal", "", 0, 1, "heart rate and skin conductance vs own baseline"),
        FeatureInfo("relaxation", "", 0, 1, "EEG (alpha + theta) / beta vs own baseline"),
        FeatureInfo(
            "quality", "", 0, 1, "signal quality: 0 flat/railed/missing (at once), 1 clean"
        ),
        FeatureInfo("stale", "", 0, 1, "1 when no sample of any kind arrived for over 1 s"),
    )
}
EVENTS: dict[str, FeatureInfo] = {
    "heartbeat": FeatureInfo("heartbeat", "s", 0, np.inf, "time of each detected pulse upstroke"),
}

_GOOD = 0.5  # per-signal quality above which its features are believed
_BASELINE_TAU = 300.0  # s: a personal baseline remembers the last several minutes
_BASELINE_MIN = 10.0  # s of good data before relative features are given
_FOREVER = 1e12  # frames: the time constant of a baseline that must not forget
_GLIDE_TAU = 5.0  # s: bad-signal glide toward neutral
_HR_SPREAD = 8.0  # bpm: a typical excursion of heart rate from its baseline
_EDA_LEVEL_SPREAD = 0.15  # natural-log units of skin conductance level
_EDA_ACTIVITY_SPREAD = 1.0  # uS/min of rising conductance
_EEG_SPREAD = 0.4  # natural-log units of (theta + alpha) / beta
_DEPTH_GAIN = 2.0  # logistic gain on ln(depth / usual): double depth -> 0.8
_STALE_AFTER = 1.0  # s without any new sample before a participant is stale
_QUALITY_KINDS = ("ppg", "resp", "eeg", "eda")


@dataclass
class _Personal:
    """Baselines and glides of one participant (all frame-rate state)."""

    rate: float
    calibration: tuple[float, float] | None = None
    baseline: Baseline = field(init=False)
    glides: dict[str, Glide] = field(default_factory=dict)
    phase: PhaseRun = field(default_factory=PhaseRun)

    def __post_init__(self) -> None:
        # A calibration window is averaged evenly (an EMA too slow to forget) and kept.
        tau = _BASELINE_TAU * self.rate if self.calibration is None else _FOREVER
        self.baseline = Baseline(tau, int(_BASELINE_MIN * self.rate))

    def learns(self, good: BoolArray, k0: int) -> BoolArray:
        """Frames the baselines learn from: good ones, inside the calibration window if any."""
        if self.calibration is None:
            return good
        t = np.arange(k0, k0 + good.size) / self.rate
        a, b = self.calibration
        out: BoolArray = good & (t >= a) & (t < b)
        return out

    def glide(self, name: str) -> Glide:
        if name not in self.glides:
            self.glides[name] = Glide(float(np.exp(-1.0 / (_GLIDE_TAU * self.rate))))
        return self.glides[name]


class ParticipantFeatures:
    """Streaming, causal features of one participant (see module docstring)."""

    def __init__(
        self,
        participant: str,
        rate: float = 50.0,
        *,
        max_lag: float = 1.5,
        calibration: tuple[float, float] | None = None,
    ) -> None:
        """`calibration`: (start, end) show seconds whose good frames alone make the
        personal baselines (e.g. the opening rest scene); None: a running baseline
        over the last ~5 minutes of good frames."""
        if rate <= 0:
            raise ValueError("frame rate must be positive")
        if calibration is not None and not calibration[0] < calibration[1]:
            raise ValueError("calibration window must be (start, end) with start < end")
        self.participant = participant
        self.rate = float(rate)
        self.max_lag = float(max_lag)
        self._streams: dict[str, SignalStream] = {}
        self._personal = _Personal(self.rate, calibration)
        self._derived: SignalStream | None = None  # breathing from the pulse, without a belt
        self._k = 0  # next frame to hand out

    def push(self, signal: Signal) -> None:
        """Add a chunk; kinds without an extractor (e.g. ecg for now) are ignored."""
        if signal.kind not in PROCESSORS:
            return
        stream = self._streams.get(signal.kind)
        if stream is None:
            stream = self._streams[signal.kind] = SignalStream(signal.kind, self.rate)
            if signal.kind == "ppg" and "resp" not in self._streams:
                self._derived = stream.derived = SignalStream("resp", self.rate)
        if signal.kind == "resp" and self._derived is not None:
            # A real belt: stop deriving breathing from the pulse.
            self._streams["ppg"].derived = self._derived = None
        stream.push(signal)

    def pull(self, now: float | None = None) -> FeatureTrack:
        """Frames (and heartbeat events) completed since the last pull.

        Without `now`, frames go as far as the signals allow; with `now`,
        up to that time even if signals are late or absent.
        """
        for stream in self._sources():
            stream.flush()
        k_end = self._horizon(now)
        k0 = self._k
        raw: dict[str, Array] = {}
        for stream in self._sources():
            raw.update(stream.take(k0, k_end))
        values = self._combine(raw, k0, k_end - k0)
        newest = max([s.end_time for s in self._streams.values()], default=-np.inf)
        frame_t = np.arange(k0, max(k_end, k0)) / self.rate
        values["stale"] = (frame_t > newest + _STALE_AFTER).astype(np.float64)
        self._k = max(k_end, k0)
        heart = self._streams.get("ppg")
        beats = heart.take_beats() if heart else np.zeros(0)
        return FeatureTrack(
            self.participant, self.rate, k0 / self.rate, values, {"heartbeat": beats}
        )

    def _sources(self) -> list[SignalStream]:
        """Streams giving frame values, the pulse-derived breathing last (after the pulse)."""
        streams = list(self._streams.values())
        return [*streams, self._derived] if self._derived is not None else streams

    def _horizon(self, now: float | None) -> int:
        """First frame not yet complete: waits for every stream that is not far behind."""
        streams = self._sources()
        lead = max([s.end_time for s in streams], default=-np.inf)
        if now is not None:
            lead = max(lead, now)
        limits = [s.k_next for s in streams if s.end_time > lead - self.max_lag]
        if now is not None:
            limits.append(int(np.floor(now * self.rate + 1e-9)) + 1)
        return max(min(limits), self._k) if limits else self._k

    def _combine(self, raw: dict[str, Array], k0: int, n: int) -> dict[str, Array]:
        """All features for frames k0 .. k0 + n from the per-kind frame values."""
        p = self._personal
        nan = np.full(n, np.nan)
        zero = np.zeros(n)

        def get(name: str) -> Array:
            return raw.get(name, nan if not name.startswith("q_") else zero)

        good = {kind: get(f"q_{kind}") >= _GOOD for kind in ("heart", "resp", "eeg", "eda")}
        with np.errstate(invalid="ignore", divide="ignore"):
            log_amp = np.log(get("breath_amp"))
            log_level = np.log(get("eda_level"))
        inputs = {
            "hr": (get("hr"), "heart"),
            "rmssd": (get("rmssd"), "heart"),
            "breath_rate": (get("breath_rate"), "resp"),
            "log_amp": (log_amp, "resp"),
            "log_level": (log_level, "eda"),
            "activity": (get("eda_activity"), "eda"),
            "eeg_ratio": (get("eeg_ratio"), "eeg"),
        }
        x = {name: v for name, (v, _) in inputs.items()}
        bases = p.baseline.update(
            np.vstack(list(x.values())),
            np.vstack([p.learns(good[kind], k0) for _, kind in inputs.values()]),
        )
        base = dict(zip(inputs, bases, strict=True))
        half = zero + 0.5
        out: dict[str, Array] = {}

        out["heart_rate"] = p.glide("heart_rate").apply(x["hr"], good["heart"], base["hr"], k0)
        out["hrv_rmssd"] = p.glide("hrv_rmssd").apply(x["rmssd"], good["heart"], base["rmssd"], k0)
        rate = x["breath_rate"]
        out["breath_rate"] = p.glide("breath_rate").apply(
            rate, good["resp"], base["breath_rate"], k0
        )
        step = rate / 60.0 / self.rate
        out["breath_phase"] = p.phase.apply(get("breath_phase"), good["resp"], step, k0)
        depth = logistic(_DEPTH_GAIN * (log_amp - base["log_amp"]))
        out["breath_depth"] = p.glide("breath_depth").apply(depth, good["resp"], half, k0)

        terms = np.vstack(
            [
                np.where(good["heart"], (x["hr"] - base["hr"]) / _HR_SPREAD, np.nan),
                np.where(good["eda"], (log_level - base["log_level"]) / _EDA_LEVEL_SPREAD, np.nan),
                np.where(
                    good["eda"], (x["activity"] - base["activity"]) / _EDA_ACTIVITY_SPREAD, np.nan
                ),
            ]
        )
        arousal = logistic(_nanmean(terms))
        out["arousal"] = p.glide("arousal").apply(arousal, np.isfinite(arousal), half, k0)

        relax = logistic((x["eeg_ratio"] - base["eeg_ratio"]) / _EEG_SPREAD)
        out["relaxation"] = p.glide("relaxation").apply(relax, good["eeg"], half, k0)

        present = [f"q_{_Q[k]}" for k in _QUALITY_KINDS if k in self._streams]
        q = np.mean([get(name) for name in present], axis=0) if present else zero
        out["quality"] = np.clip(np.nan_to_num(q, nan=0.0), 0.0, 1.0)
        return {name: out[name] for name in FEATURES if name in out}


_Q = {"ppg": "heart", "resp": "resp", "eeg": "eeg", "eda": "eda"}


def _nanmean(rows: Array) -> Array:
    """Mean over axis 0 ignoring NaN; NaN where nothing is known (no warnings)."""
    ok = np.isfinite(rows)
    count = ok.sum(axis=0)
    total = np.where(ok, rows, 0.0).sum(axis=0)
    out: Array = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def extract_features(
    rec: ParticipantRecording,
    rate: float = 50.0,
    *,
    round_seconds: float = 60.0,
    calibration: tuple[float, float] | None = None,
) -> FeatureTrack:
    """Features of a whole recording (offline rendering): exactly what streaming gives.

    The recording is fed in rounds of `round_seconds` and pulled after each,
    which keeps the frames waiting inside the extractor bounded however long
    the show; chunk invariance makes the result independent of the round size.
    """
    features = ParticipantFeatures(rec.participant, rate, calibration=calibration)
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
