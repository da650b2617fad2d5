"""A seeded simulator of a group's bodies, so a show can be rehearsed without hardware.

Each participant has a resting baseline of their own (heart rate, breathing
rate, skin conductance, alpha strength), and a script of group states moves
everyone *relative to that baseline*: per-person calibration is the whole
point of the feature extractors, so the simulator must not hand them
identical people. Everything derives from a few slow control curves sampled
at the respiration rate (state mix, breath phase, heart rate); the fast
signals are rendered from those curves with vectorised numpy only, which is
what keeps eight people for ten minutes well under a second.

Determinism: participant *i* draws from ``default_rng([seed, i])`` and the
shared group breathing rhythm from its own stream, so the same seed gives the
same arrays and adding participants never changes the earlier ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from symphony.inputs.recording import ParticipantRecording, Signal
from symphony.inputs.simulated_room import (
    COUPLED_PULL,
    SHARED_HR_BPM,
    CouplingChange,
    SharedDrive,
    coupling_curve,
    shared_drive,
)

Array = npt.NDArray[np.float64]

STATES = ("calm", "aroused", "together", "restless")

# EEG channel order of the simulated headband (Muse-like): blinks show on 0 and 1.
EEG_CHANNELS = ("AF7", "AF8", "TP9", "TP10")

_GROUP_STREAM = 1_000_003  # rng stream id of the shared group rhythm, apart from participants
_GROUP_BREATH_HZ = 0.1  # "together" breathes near 6 breaths/min
_TYPICAL_BREATH_PER_MIN = 13.0  # the middle of the resting rates drawn per person
_INHALE_FRACTION = 0.4


@dataclass(frozen=True)
class StateChange:
    """From time `at` (s) on, glide into `state` over `ramp` seconds."""

    at: float
    state: str
    ramp: float = 10.0


@dataclass(frozen=True)
class SignalRates:
    """Sample rates (Hz) of the simulated sensors, close to common wearables."""

    ppg: float = 64.0
    resp: float = 25.0
    eeg: float = 256.0
    eda: float = 16.0


@dataclass(frozen=True)
class _Profile:
    """How a state moves a body, relative to its own resting baseline."""

    hr_delta: float  # bpm added to resting heart rate
    breath_factor: float  # multiplies the resting breathing rate
    paced: float  # 1 = breathe at the shared slow group rate instead
    coupling: float  # pull (1/s) of the breath phase toward the group rhythm
    depth: float  # breathing depth, relative
    rsa: float  # respiratory sinus arrhythmia amplitude, bpm
    alpha: float
    theta: float
    beta: float
    scr_per_min: float
    tonic_slope: float  # d ln(tonic EDA) / dt, per minute
    irregular: float  # breath irregularity and heart-rate jitter
    motion_per_min: float  # PPG motion artefacts
    arousal: float  # the truth the arousal feature should follow


_PROFILES: dict[str, _Profile] = {
    "calm": _Profile(-4.0, 0.8, 0.0, 0.0, 1.15, 4.0, 1.6, 1.2, 0.7, 1.0, -0.04, 0.1, 0.0, 0.15),
    "aroused": _Profile(20.0, 1.4, 0.0, 0.0, 0.85, 1.5, 0.5, 0.8, 1.9, 8.0, 0.10, 0.2, 0.2, 0.9),
    "together": _Profile(
        -3.0, 0.6, 1.0, 0.15, 1.35, 8.0, 1.3, 1.3, 0.8, 1.5, -0.02, 0.05, 0.0, 0.25
    ),
    "restless": _Profile(8.0, 1.1, 0.0, 0.0, 0.9, 2.0, 0.7, 1.0, 1.3, 4.0, 0.03, 1.0, 4.0, 0.6),
}
_PARAM_NAMES = tuple(_Profile.__dataclass_fields__)
_PROFILE_MATRIX = np.array([[getattr(_PROFILES[s], p) for p in _PARAM_NAMES] for s in STATES])


def simulate_group(
    n: int,
    duration: float,
    seed: int,
    script: Sequence[StateChange],
    *,
    rates: SignalRates | None = None,
    indices: Sequence[int] | None = None,
    coupling: float = 0.0,
    coupling_script: Sequence[CouplingChange] = (),
) -> list[ParticipantRecording]:
    """Simulate `n` participants for `duration` seconds following `script`.

    The state before the first change is the first change's state when it is
    at time 0 or earlier, else "calm". Participants are named p01, p02, ...
    `indices` simulates only those of the `n` (identical to their part of the
    whole group), so a group can be simulated in parallel pieces.
    `coupling` (0..1, then glided by `coupling_script`) sets how much the
    bodies share (`simulated_room.py`); with none at all the people are
    exactly as without it.
    """
    if n < 0 or duration < 1.0:
        raise ValueError("need n >= 0 participants and a duration of at least 1 s")
    for change in script:
        if change.state not in STATES:
            raise ValueError(f"unknown state {change.state!r}; expected one of {STATES}")
    rates = rates or SignalRates()
    t_ctrl = np.arange(round(duration * rates.resp)) / rates.resp
    weights = state_weights(t_ctrl, script)
    params = {
        name: col for name, col in zip(_PARAM_NAMES, (weights @ _PROFILE_MATRIX).T, strict=True)
    }
    group = np.random.default_rng([seed, _GROUP_STREAM])
    start = group.random()
    group_phase = start + _GROUP_BREATH_HZ * t_ctrl
    shared = _shared(group, t_ctrl, params, start, coupling, coupling_script, rates.resp)
    return [
        _simulate_one(
            i, np.random.default_rng([seed, i]), t_ctrl, params, group_phase, rates, shared
        )
        for i in (range(n) if indices is None else indices)
        if 0 <= i < n
    ]


def _shared(
    group: np.random.Generator,
    t: Array,
    p: dict[str, Array],
    start: float,
    coupling: float,
    script: Sequence[CouplingChange],
    fs: float,
) -> SharedDrive | None:
    """The room's shared drive, or None when nobody is ever coupled."""
    c = coupling_curve(t, coupling, script)
    if not np.any(c > 0.0):
        return None
    free = _TYPICAL_BREATH_PER_MIN / 60.0 * p["breath_factor"]
    free = (1.0 - p["paced"]) * free + p["paced"] * _GROUP_BREATH_HZ
    heart = _smooth_noise(group, t.size, fs, 8.0)
    breath = _smooth_noise(group, t.size, fs, 15.0)
    return shared_drive(c, free, start, heart, breath, fs)


def state_weights(t: Array, script: Sequence[StateChange]) -> Array:
    """Mix of states over time, shape (len(t), len(STATES)); rows sum to 1.

    Each change glides (smoothstep) from wherever the mix was at its start to
    the new state; a change arriving mid-glide starts from the mid-glide mix.
    """
    changes = sorted(script, key=lambda c: c.at)
    first = changes[0].state if changes and changes[0].at <= 0 else "calm"
    w = np.zeros((t.size, len(STATES)))
    w[:, STATES.index(first)] = 1.0
    for change in changes:
        target = np.zeros(len(STATES))
        target[STATES.index(change.state)] = 1.0
        at_start = np.array([np.interp(change.at, t, w[:, j]) for j in range(len(STATES))])
        u = np.clip((t - change.at) / max(change.ramp, 1e-9), 0.0, 1.0)
        u = (u * u * (3.0 - 2.0 * u))[:, None]
        after = t >= change.at
        w[after] = (at_start * (1.0 - u) + target * u)[after]
    return w


def _smooth_noise(rng: np.random.Generator, n: int, fs: float, tau: float) -> Array:
    """Unit-variance low-pass noise with time constant `tau`, smooth at small scales.

    Two one-pole stages rather than one: a single pole (an Ornstein-Uhlenbeck
    process) is rough sample to sample, which would give skin conductance and
    baselines unphysiologically steep little slopes. A warm-up of five time
    constants is discarded so the noise starts in its steady state.
    """
    a = float(np.exp(-1.0 / (tau * fs)))
    b = 1.0 - a
    warm = int(5.0 * tau * fs)
    x = lfilter([b], [1.0, -a], rng.standard_normal(n + warm))
    y = lfilter([b], [1.0, -a], x)[warm:]
    variance = b**4 * (1.0 + a * a) / (1.0 - a * a) ** 3
    out: Array = y / np.sqrt(variance)
    return out


def _poisson_times(rng: np.random.Generator, t: Array, rate_per_min: Array) -> Array:
    """Event times of an inhomogeneous Poisson process (thinning)."""
    peak = float(np.max(rate_per_min, initial=0.0)) / 60.0
    duration = float(t[-1]) if t.size else 0.0
    if peak <= 0 or duration <= 0:
        return np.zeros(0)
    count = rng.poisson(peak * duration)
    cand = np.sort(rng.uniform(0.0, duration, count))
    keep = rng.random(count) * peak < np.interp(cand, t, rate_per_min) / 60.0
    times: Array = cand[keep]
    return times


def _add_shapes(n: int, starts: Array, shape: Array, fs: float, amps: Array) -> Array:
    """Sum copies of a sampled `shape` placed at fractional times `starts` (s)."""
    out = np.zeros(n)
    if starts.size == 0:
        return out
    first = np.ceil(starts * fs).astype(np.int64)
    idx = first[:, None] + np.arange(shape.size)[None, :]
    # Shift the shape by the fractional offset so events are not quantised to samples.
    frac = first / fs - starts
    pos = np.arange(shape.size)[None, :] + frac[:, None] * fs
    vals = np.interp(pos, np.arange(shape.size), shape, right=0.0) * amps[:, None]
    ok = (idx >= 0) & (idx < n)
    out += np.bincount(idx[ok], weights=vals[ok], minlength=n)[:n]
    return out


@dataclass(frozen=True)
class _Person:
    """One participant's resting baseline and idiosyncrasies."""

    hr0: float
    breath0: float  # breaths/min
    eda0: float  # microsiemens
    alpha0: float
    reactivity: float  # how strongly states move this body
    group_offset: float  # own preferred slow rate relative to the group (fraction)
    alpha_hz: float


def _draw_person(rng: np.random.Generator) -> _Person:
    return _Person(
        hr0=rng.uniform(55.0, 85.0),
        breath0=rng.uniform(10.0, 16.0),
        eda0=float(np.exp(rng.uniform(np.log(1.5), np.log(10.0)))),
        alpha0=rng.uniform(0.7, 1.4),
        reactivity=rng.uniform(0.8, 1.2),
        group_offset=rng.uniform(-0.08, 0.08),
        alpha_hz=rng.uniform(9.0, 11.0),
    )


def _simulate_one(
    index: int,
    rng: np.random.Generator,
    t: Array,
    p: dict[str, Array],
    group_phase: Array,
    rates: SignalRates,
    shared: SharedDrive | None = None,
) -> ParticipantRecording:
    person = _draw_person(rng)
    phase = _breath_phase(rng, t, p, person, group_phase, rates.resp, shared)
    depth = p["depth"] * (1.0 + 0.08 * _smooth_noise(rng, t.size, rates.resp, 20.0))
    depth *= np.exp(0.3 * p["irregular"] * _smooth_noise(rng, t.size, rates.resp, 2.0))
    hr = _heart_rate(rng, t, p, person, phase, rates.resp, shared)
    duration = t.size / rates.resp
    beats = _beat_times(rng, t, hr, rates.ppg, duration)
    signals = {
        "ppg": Signal("ppg", rates.ppg, _ppg(rng, t, beats, p, phase, rates.ppg, duration), "au"),
        "resp": Signal("resp", rates.resp, _resp(rng, phase, depth, rates.resp), "au"),
        "eeg": Signal("eeg", rates.eeg, _eeg(rng, t, p, person, rates.eeg, duration), "uV"),
        "eda": Signal("eda", rates.eda, _eda(rng, t, p, person, rates.eda, duration), "uS"),
    }
    truth = {
        "beat_times": beats,
        "breath_phase": np.mod(phase, 1.0),
        "heart_rate": hr,
        "state_arousal": p["arousal"].copy(),
    }
    return ParticipantRecording(f"p{index + 1:02d}", signals, True, truth)


def _breath_phase(
    rng: np.random.Generator,
    t: Array,
    p: dict[str, Array],
    person: _Person,
    group_phase: Array,
    fs: float,
    shared: SharedDrive | None = None,
) -> Array:
    """Unwrapped breath phase (cycles): own rate, pulled toward the group rhythm.

    The phase offset to the group is integrated exactly for the free part and
    the coupling correction (an Adler equation) is stepped at 4 Hz, which is
    plenty for a pull of a few tenths per second and keeps the Python loop
    short; the result stays monotonic because the pull is slower than breath.
    A coupled room (`shared`) draws the rate toward the room's by the
    coupling and pulls the phase toward the room's rhythm instead.
    """
    free_rate = person.breath0 * p["breath_factor"] / 60.0
    paced_rate = _GROUP_BREATH_HZ * (1.0 + person.group_offset)
    rate = (1.0 - p["paced"]) * free_rate + p["paced"] * paced_rate
    rate = rate * np.exp(0.06 * _smooth_noise(rng, t.size, fs, 15.0))
    rate = rate * np.exp(0.35 * p["irregular"] * _smooth_noise(rng, t.size, fs, 2.5))
    pull_per_s = p["coupling"]
    reference = np.full(t.size, _GROUP_BREATH_HZ)
    if shared is not None:
        coupled = shared.coupling
        rate = (1.0 - coupled) * rate + coupled * shared.breath_rate
        pull_per_s = pull_per_s + COUPLED_PULL * coupled * coupled
        reference = shared.breath_rate
        group_phase = shared.breath_phase
    offset = rng.random() + np.concatenate(([0.0], np.cumsum(rate[:-1] - reference[:-1]) / fs))
    step = max(1, round(fs / 4.0))
    coarse = np.arange(0, t.size, step)
    pull = pull_per_s[coarse] * 0.5 / np.pi
    base = offset[coarse].tolist()
    corr = np.zeros(coarse.size)
    c = 0.0
    dt = step / fs
    for j in range(coarse.size):
        corr[j] = c
        c -= float(pull[j]) * np.sin(2.0 * np.pi * (base[j] + c)) * dt
    correction = np.interp(np.arange(t.size), coarse, corr)
    phase: Array = group_phase + offset + correction
    return phase


def _heart_rate(
    rng: np.random.Generator,
    t: Array,
    p: dict[str, Array],
    person: _Person,
    phase: Array,
    fs: float,
    shared: SharedDrive | None = None,
) -> Array:
    """Heart rate (bpm): baseline + state + RSA (faster on inhale) + Mayer waves + jitter.

    In a coupled room (`shared`) the wandering part is the room's by
    sqrt(coupling) and the person's own by sqrt(1 - coupling).
    """
    mayer_hz = 0.1 * (1.0 + 0.05 * _smooth_noise(rng, t.size, fs, 30.0))
    mayer = 1.5 * np.sin(2.0 * np.pi * np.cumsum(mayer_hz) / fs + rng.uniform(0, 2 * np.pi))
    rsa = p["rsa"] * -np.cos(2.0 * np.pi * (phase - 0.05))
    jitter = (1.0 + 2.0 * p["irregular"]) * _smooth_noise(rng, t.size, fs, 1.5)
    drift = 2.0 * _smooth_noise(rng, t.size, fs, 60.0)
    if shared is None:
        hr: Array = person.hr0 + person.reactivity * p["hr_delta"] + rsa + mayer + jitter + drift
    else:
        c = shared.coupling
        wander = np.sqrt(1.0 - c) * (mayer + jitter + drift)
        wander += np.sqrt(c) * SHARED_HR_BPM * shared.heart
        hr = person.hr0 + person.reactivity * p["hr_delta"] + rsa + wander
    return np.clip(hr, 35.0, 190.0)


def _beat_times(rng: np.random.Generator, t: Array, hr: Array, fs: float, duration: float) -> Array:
    """Beat times from integrating the heart rate, with a few ms of beat-to-beat jitter."""
    tf = np.arange(round(duration * fs)) / fs
    cycles = np.cumsum(np.interp(tf, t, hr) / 60.0) / fs + rng.random()
    k = np.floor(cycles)
    cross = np.flatnonzero(np.diff(k) > 0)
    frac = (k[cross + 1] - cycles[cross]) / (cycles[cross + 1] - cycles[cross])
    beats = tf[cross] + (frac + 1.0) / fs  # cumsum is one sample ahead of tf
    beats = beats + 0.003 * rng.standard_normal(beats.size)
    return np.sort(beats[(beats > 0) & (beats < duration)])


def _pulse_shape(fs: float) -> Array:
    """One PPG pulse starting at its foot: steep systolic rise, slower fall, dicrotic wave."""
    s = np.arange(int(1.2 * fs)) / fs
    rise, fall = 0.045, 0.13
    peak = 0.13
    systolic = np.where(
        s < peak, np.exp(-0.5 * ((s - peak) / rise) ** 2), np.exp(-0.5 * ((s - peak) / fall) ** 2)
    )
    dicrotic = 0.35 * np.exp(-0.5 * ((s - peak - 0.26) / 0.07) ** 2)
    shape: Array = (systolic + dicrotic) * np.clip((1.2 - s) / 0.3, 0.0, 1.0)
    return shape


def _ppg(
    rng: np.random.Generator,
    t: Array,
    beats: Array,
    p: dict[str, Array],
    phase: Array,
    fs: float,
    duration: float,
) -> Array:
    """PPG: a pulse whose *foot* arrives at each beat time, on a wandering baseline."""
    n = round(duration * fs)
    tf = np.arange(n) / fs
    # The foot is 2.9 rise-widths before the systolic peak; place the shape's t=0 there.
    foot_lead = 0.13 - 2.9 * 0.045
    amps = 1.0 + 0.1 * np.sin(2 * np.pi * np.interp(beats, t, phase))
    amps *= 1.0 + 0.05 * rng.standard_normal(beats.size)
    x = _add_shapes(n, beats - foot_lead, _pulse_shape(fs), fs, amps)
    breath = np.interp(tf, t, np.sin(2 * np.pi * phase))
    x += 0.15 * breath + 0.3 * _smooth_noise(rng, n, fs, 8.0) + 0.03 * rng.standard_normal(n)
    motion_times = _poisson_times(rng, t, p["motion_per_min"])
    if motion_times.size:
        wobble = np.arange(int(2.0 * fs)) / fs
        shape = np.sin(2 * np.pi * 1.3 * wobble) * np.sin(np.pi * wobble / 2.0) ** 2
        x += _add_shapes(n, motion_times, shape, fs, rng.uniform(2.0, 6.0, motion_times.size))
    return x + 50.0


def _resp(rng: np.random.Generator, phase: Array, depth: Array, fs: float) -> Array:
    """Respiration belt: rises on inhale (phase 0..0.4), falls on exhale, with wander."""
    c = np.mod(phase, 1.0)
    inhale = c < _INHALE_FRACTION
    up = 0.5 - 0.5 * np.cos(np.pi * c / _INHALE_FRACTION)
    down = 0.5 + 0.5 * np.cos(np.pi * (c - _INHALE_FRACTION) / (1.0 - _INHALE_FRACTION))
    belt = depth * np.where(inhale, up, down)
    n = phase.size
    return belt + 0.1 * _smooth_noise(rng, n, fs, 30.0) + 0.01 * rng.standard_normal(n)


def _unit_gain(gain: Array, n_fft: int) -> Array:
    """Scale a spectral gain so that irfft of unit complex noise has unit variance.

    Analytic (each interior bin contributes 4 |g|^2 / n^2), which is cheaper
    than measuring the standard deviation of a long signal.
    """
    out: Array = gain * (n_fft / 2.0) / np.sqrt(max(float(np.sum(gain * gain)), 1e-300))
    return out


def _band_noise(
    rng: np.random.Generator, n_fft: int, fs: float, center: float, width: float
) -> Array:
    """Four channels of narrow-band Gaussian noise (unit variance), bursty by nature.

    Only the spectral bins near the band are drawn, which is most of the
    simulator's speed for EEG.
    """
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    lo, hi = np.searchsorted(freqs, [center - 4.0 * width, center + 4.0 * width])
    spectrum = np.zeros((4, freqs.size), dtype=np.complex128)
    shape = (4, int(hi - lo))
    gain = _unit_gain(np.exp(-0.5 * ((freqs[lo:hi] - center) / width) ** 2), n_fft)
    spectrum[:, lo:hi] = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * gain
    x: Array = np.fft.irfft(spectrum, n=n_fft)
    return x


def _eeg(
    rng: np.random.Generator,
    t: Array,
    p: dict[str, Array],
    person: _Person,
    fs: float,
    duration: float,
) -> Array:
    """EEG (microvolts), 4 channels: 1/f background + theta, alpha, beta + blinks + noise.

    Oscillations are band-limited noise (so alpha comes in bursts on its own),
    scaled by the state's band strengths; alpha is strongest at the temporal
    sites, blinks appear on the frontal ones. The 1/f background and the
    amplifier's white noise share one inverse FFT.
    """
    n = round(duration * fs)
    n_fft = n + (n % 2)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / fs)
    pink = _unit_gain(1.0 / np.sqrt(np.maximum(freqs, 0.5)), n_fft)
    flat = _unit_gain(np.ones(freqs.size), n_fft)
    white = rng.standard_normal((4, freqs.size)) + 1j * rng.standard_normal((4, freqs.size))
    x = np.fft.irfft(white * (8.0 * pink + 1.0 * flat), n=n_fft)
    tf = np.arange(n_fft) / fs
    site = np.array([0.7, 0.7, 1.0, 1.0])[:, None]
    bands = (("alpha", person.alpha_hz, 0.7, 6.0 * person.alpha0 * site), ("theta", 6.0, 1.0, 4.0))
    for key, center, width, scale in (*bands, ("beta", 20.0, 4.0, 2.5)):
        strength = np.interp(tf, t, p[key])
        x += (scale * strength) * _band_noise(rng, n_fft, fs, center, width)
    x = x[:, :n]
    blink_rate = 8.0 + 10.0 * p["arousal"]
    blinks = _poisson_times(rng, t, blink_rate)
    if blinks.size:
        s = np.arange(int(0.5 * fs)) / fs
        shape = np.exp(-0.5 * ((s - 0.2) / 0.06) ** 2)
        blink = _add_shapes(n, blinks, shape, fs, rng.uniform(80.0, 200.0, blinks.size))
        x += np.array([1.0, 1.0, 0.1, 0.1])[:, None] * blink
    out: Array = np.ascontiguousarray(x)
    return out


def _eda(
    rng: np.random.Generator,
    t: Array,
    p: dict[str, Array],
    person: _Person,
    fs: float,
    duration: float,
) -> Array:
    """Skin conductance (microsiemens): drifting tonic level plus bi-exponential SCRs."""
    n = round(duration * fs)
    tf = np.arange(n) / fs
    slope = person.reactivity * np.interp(tf, t, p["tonic_slope"]) / 60.0
    relax = 1.0 / (fs * 600.0)  # the tonic level slowly returns to the person's own
    log_tonic = lfilter([1.0 / fs], [1.0, -(1.0 - relax)], slope)
    log_tonic += 0.05 * _smooth_noise(rng, n, fs, 40.0)
    x = person.eda0 * np.exp(log_tonic)
    scrs = _poisson_times(rng, t, p["scr_per_min"])
    if scrs.size:
        s = np.arange(int(20.0 * fs)) / fs
        shape = np.exp(-s / 3.0) - np.exp(-s / 0.7)
        shape /= shape.max()
        amp = 0.12 * np.sqrt(person.eda0) * np.exp(0.4 * rng.standard_normal(scrs.size))
        amp *= 1.0 + np.interp(scrs, t, p["arousal"])
        x += _add_shapes(n, scrs, shape, fs, amp)
    out: Array = x + 0.003 * rng.standard_normal(n)
    return out
