"""Sensor faults, injected on purpose: dropouts, flat lines, railed channels, NaN.

Used two ways: by performances (a scene's ``dropouts`` makes some simulated
participants lose contact, the "glitch in the network"), and by tests that
check the sound never jumps or dies when a sensor does. Seeded and pure: the
same seed gives the same faults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from symphony.inputs.recording import ParticipantRecording, Signal

FaultKind = Literal["nan", "flat", "railed", "spikes", "inf"]
FAULT_KINDS: tuple[FaultKind, ...] = ("nan", "flat", "railed", "spikes", "inf")


@dataclass(frozen=True)
class Fault:
    participant: str
    start: float
    end: float
    kind: FaultKind


def apply_fault(signal: Signal, start: float, end: float, kind: FaultKind) -> None:
    """Corrupt `signal` in place between `start` and `end` seconds."""
    i0 = max(0, round((start - signal.start) * signal.rate))
    i1 = min(signal.n_samples, round((end - signal.start) * signal.rate))
    if i1 <= i0:
        return
    region = signal.data[..., i0:i1]
    if kind == "nan":
        region[...] = np.nan
    elif kind == "flat":
        held = signal.data[..., i0 - 1 : i0] if i0 > 0 else 0.0
        region[...] = held
    elif kind == "railed":
        finite = signal.data[np.isfinite(signal.data)]
        rail = float(np.max(np.abs(finite))) * 4.0 if finite.size else 1.0
        region[...] = rail
    elif kind == "spikes":
        region[..., ::7] = 1e30
    elif kind == "inf":
        region[..., ::2] = np.inf
        region[..., 1::2] = -np.inf
    else:
        raise ValueError(f"unknown fault kind {kind!r}")


def plan_dropouts(
    participants: Sequence[str],
    windows: Sequence[tuple[float, float, int]],
    seed: int,
) -> list[Fault]:
    """Choose who drops out, when and how, for each (start, end, count) window."""
    rng = np.random.default_rng([seed, 0xD209])
    faults = []
    for start, end, count in windows:
        if count <= 0 or end <= start:
            continue
        chosen = rng.choice(len(participants), size=min(count, len(participants)), replace=False)
        for k, idx in enumerate(sorted(chosen.tolist())):
            length = (end - start) * rng.uniform(0.25, 0.6)
            at = start + rng.uniform(0.0, (end - start) - length)
            kind = FAULT_KINDS[k % len(FAULT_KINDS)]
            faults.append(Fault(participants[idx], at, at + length, kind))
    return faults


def inject(recordings: Sequence[ParticipantRecording], faults: Sequence[Fault]) -> None:
    """Apply faults to every signal of the named participants, in place."""
    by_name = {r.participant: r for r in recordings}
    for fault in faults:
        rec = by_name.get(fault.participant)
        if rec is None:
            continue
        for signal in rec.signals.values():
            apply_fault(signal, fault.start, fault.end, fault.kind)
