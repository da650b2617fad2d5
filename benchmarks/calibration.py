"""Does breathing's quality mean what it says? The calibration table (issue 12).

A feature's quality is meant as the probability that its value is right
within its documented tolerance (breath_rate: 1 breath/min). This prints, for
each source, how many frames (4 a second) fall in each quality band and how
many of those are within the tolerance of a reference:

- real belts (tests/features/data: `plux`, `nova`): NeuroKit2's
  `rsp_process` rate, where it measures (between its second and last trough);
- simulated belts and simulated pulses without a belt (pulse-derived
  breathing): the simulator's true rate, averaged over 10 s, 3 s ago (the
  causal rate describes the last cycles; as in tests/features);
- simulated pulses with no breathing in them: no rate is right, so every
  believed frame counts as wrong.

Belts are read through `extract_features` (a belt-only participant's
`quality` is its belt's). Derived breathing's own quality (q_dresp) is not a
frame feature, so it is read from the same chain the group runs
(`RiivBank` -> `BreathBank(derived=True)`) on the raw pulse, without the
heart stage's motion mask (the simulated pulses have little motion).

Usage: python benchmarks/calibration.py [--seconds 300] [--people 4]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from symphony.features.breath import BreathBank
from symphony.features.derived import RiivBank
from symphony.features.simple import extract_features
from symphony.inputs.recording import ParticipantRecording, Signal
from symphony.inputs.simulated import StateChange, simulate_group

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.features.pulses import pulse_without_breathing  # noqa: E402

TOLERANCE = 1.0  # breaths/min: breath_rate's documented tolerance
FRAME = 4.0  # frames per second
BANDS = ((0.0, 0.5), (0.5, 0.8), (0.8, 1.01))
SCRIPT = [StateChange(0.0, "calm"), StateChange(120.0, "aroused"), StateChange(200.0, "together")]
BELTS = {"plux": ("plux_respiration.npy", 1000.0), "nova": ("nova_respiration.npy", 100.0)}


def true_rate(rec: ParticipantRecording, t: np.ndarray, lag: float = 3.0) -> np.ndarray:
    """Breaths/min from the simulator's true phase, averaged over 10 s, `lag` s ago."""
    fs = rec.signals["resp"].rate
    rate = np.gradient(np.unwrap(2 * np.pi * rec.truth["breath_phase"]))
    width = round(10.0 * fs)
    rate = np.convolve(rate * fs * 60 / (2 * np.pi), np.ones(width) / width, "same")
    out: np.ndarray = np.interp(t - lag, np.arange(rate.size) / fs, rate)
    return out


def derived(ppg: Signal) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, rate and quality of pulse-derived breathing, as the group derives it."""
    riiv = RiivBank(ppg.rate)
    riiv.add_row()
    riiv.start_row(0, float(ppg.data[0]))
    (first, y), *_ = riiv.process(np.array([0]), ppg.data[None, :])
    bank = BreathBank(riiv.rate, derived=True)
    bank.add_row()
    bank.start_row(0, first / ppg.rate, y[:1])
    out, _ = bank.process(np.array([0]), y[None, :])
    t = (first + np.arange(y.size) * riiv.step) / ppg.rate
    pick = np.searchsorted(t, np.arange(0.0, t[-1], 1.0 / FRAME))
    return t[pick], out["breath_rate"][0, pick], out["q_resp"][0, pick]


def real_belts() -> list[tuple[str, np.ndarray, np.ndarray]]:
    import neurokit2 as nk

    rows = []
    for name, (file, fs) in BELTS.items():
        x = np.load(ROOT / "tests" / "features" / "data" / file).astype(np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            signals, info = nk.rsp_process(x, sampling_rate=fs)
        ref = np.asarray(signals["RSP_Rate"], dtype=np.float64)
        troughs = np.asarray(info["RSP_Troughs"]) / fs
        tr = extract_features(ParticipantRecording("p", {"resp": Signal("resp", fs, x)}), FRAME)
        t = tr.times()
        use = (t >= troughs[1]) & (t <= troughs[-1])
        theirs = ref[np.minimum(np.round(t * fs).astype(np.int64), ref.size - 1)]
        err = np.abs(tr.values["breath_rate"] - theirs)
        rows.append((f"real belt {name} (vs NeuroKit2)", err[use], tr.values["quality"][use]))
    return rows


def simulated(seconds: float, people: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    belt_err, belt_q, d_err, d_q, n_q = [], [], [], [], []
    for rec in simulate_group(people, seconds, seed=21, script=SCRIPT):
        belt = ParticipantRecording("p", {"resp": rec.signals["resp"]})
        tr = extract_features(belt, FRAME)
        t = tr.times()
        keep = t > 20.0
        belt_err.append(np.abs(tr.values["breath_rate"] - true_rate(rec, t))[keep])
        belt_q.append(tr.values["quality"][keep])
        t, rate, q = derived(rec.signals["ppg"])
        keep = t > 20.0
        d_err.append(np.abs(rate - true_rate(rec, t))[keep])
        d_q.append(q[keep])
    for seed in range(people):
        t, _, q = derived(Signal("ppg", 64.0, pulse_without_breathing(seconds, seed)))
        n_q.append(q[t > 20.0])
    nothing = np.concatenate(n_q)
    return [
        ("simulated belt (vs truth)", np.concatenate(belt_err), np.concatenate(belt_q)),
        ("simulated pulse-derived (vs truth)", np.concatenate(d_err), np.concatenate(d_q)),
        ("pulse with no breathing (all wrong)", np.full(nothing.size, np.inf), nothing),
    ]


def table(rows: list[tuple[str, np.ndarray, np.ndarray]]) -> str:
    head = "| source | " + " | ".join(f"quality {a:.1f}-{min(b, 1.0):.1f}" for a, b in BANDS)
    lines = [head + " |", "|---" * (len(BANDS) + 1) + "|"]
    for name, err, q in rows:
        cells = []
        for a, b in BANDS:
            band = (q >= a) & (q < b)
            n = int(band.sum())
            ok = float(np.mean(err[band] <= TOLERANCE)) if n else float("nan")
            cells.append(f"{n} frames, {100 * ok:.0f} % within" if n else "0 frames")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--people", type=int, default=4)
    args = ap.parse_args()
    print(f"breath_rate within {TOLERANCE} breath/min, by quality band")
    print(table(real_belts() + simulated(args.seconds, args.people)))


if __name__ == "__main__":
    main()
