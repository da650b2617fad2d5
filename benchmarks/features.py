"""Feature extraction speed and latency at the design load, against NeuroKit2.

Load: P participants, each EEG 4 ch x 256 Hz, PPG 64 Hz, respiration 25 Hz
(simulated). Measured on one core with time.process_time, in one run:

- symphony, live: what `symphony live` runs (symphony/live/control.py): one
  `GroupFeatures` for everyone; every participant's signals arrive in 0.1 s
  chunks (each at the moment its last sample was recorded) and the group is
  pulled at the control rate (50 Hz, so most pulls only advance the clock).
  Latency = CPU time from the first push of a round of chunks to the end of
  the pull that hands out their frames (the extractor's own delay beyond
  each feature's window; filter and window delays are in the features'
  docs);
- symphony, one extractor per participant (`ParticipantFeatures`, the same
  code as a group of one, on the first 8 participants): what vectorising
  across participants buys;
- symphony, offline: `extract_features` on whole recordings (render path);
- NeuroKit2: ppg_process + rsp_process + Welch band powers of the EEG
  (scipy.signal.welch, 2 s segments) on the same data, offline.

Usage: python benchmarks/features.py [--participants 64] [--seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings

import numpy as np
from scipy.signal import welch

from symphony.features.group import GroupFeatures
from symphony.features.simple import ParticipantFeatures, extract_features
from symphony.inputs.recording import ParticipantRecording, Signal
from symphony.inputs.simulated import SignalRates, StateChange, simulate_group

CHUNK = 0.1  # s: live packet size (default)
TARGET_RATE = 256.0  # participant-seconds per CPU-second: 64 people at 25 % of a core
TARGET_LATENCY_MS = 50.0


def _recordings(n: int, seconds: float) -> list[ParticipantRecording]:
    rates = SignalRates(ppg=64.0, resp=25.0, eeg=256.0, eda=16.0)
    recs = simulate_group(n, seconds, seed=1, script=[StateChange(0.0, "calm")], rates=rates)
    for r in recs:
        r.signals.pop("eda")  # not part of the design load
    return recs


def _chunk(rec: ParticipantRecording, t0: float, chunk: float) -> list[Signal]:
    out = []
    for s in rec.signals.values():
        a, b = round(t0 * s.rate), round((t0 + chunk) * s.rate)
        out.append(Signal(s.kind, s.rate, s.data[..., a:b], s.unit, t0))
    return out


def bench_live(
    recs: list[ParticipantRecording], seconds: float, chunk: float, control_rate: float
) -> tuple[float, list[float]]:
    """CPU seconds; CPU time of each round (all chunks of one arrival, pushed and pulled)."""
    group = GroupFeatures(control_rate)
    rounds: list[float] = []
    due = 0  # next chunk: it covers [due * chunk, (due + 1) * chunk) and arrives at its end
    cpu0 = time.process_time()
    for step in range(round(seconds * control_rate) + 1):
        now = step / control_rate
        start = time.process_time()
        arrived = False
        while (due + 1) * chunk <= now + 1e-9:
            for rec in recs:
                for signal in _chunk(rec, due * chunk, chunk):
                    group.push(rec.participant, signal)
            due, arrived = due + 1, True
        group.pull(now)
        if arrived:
            rounds.append(time.process_time() - start)
    return time.process_time() - cpu0, rounds


def bench_one_each(recs: list[ParticipantRecording], seconds: float, chunk: float) -> float:
    """CPU seconds with one extractor per participant, pulled after each chunk."""
    features = [ParticipantFeatures(r.participant) for r in recs]
    cpu0 = time.process_time()
    for k in range(round(seconds / chunk)):
        for rec, f in zip(recs, features, strict=True):
            for signal in _chunk(rec, k * chunk, chunk):
                f.push(signal)
            f.pull()
    return time.process_time() - cpu0


def bench_offline(recs: list[ParticipantRecording]) -> float:
    cpu0 = time.process_time()
    for r in recs:
        extract_features(r)
    return time.process_time() - cpu0


def bench_neurokit(recs: list[ParticipantRecording]) -> float:
    import neurokit2 as nk

    cpu0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in recs:
            ppg, resp, eeg = (r.signals[k] for k in ("ppg", "resp", "eeg"))
            nk.ppg_process(ppg.data, sampling_rate=int(ppg.rate))
            with contextlib.suppress(IndexError):  # NeuroKit2 fails on very short records
                nk.rsp_process(resp.data, sampling_rate=int(resp.rate))
            f, p = welch(eeg.data, fs=eeg.rate, nperseg=int(2 * eeg.rate), axis=-1)
            for lo, hi in ((4, 8), (8, 13), (13, 30)):
                p[:, (f >= lo) & (f < hi)].sum(axis=-1)
    return time.process_time() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--chunk", type=float, default=CHUNK, help="live packet size (s)")
    parser.add_argument("--control-rate", type=float, default=50.0, help="pulls per second")
    args = parser.parse_args()
    recs = _recordings(args.participants, args.seconds)
    work = args.participants * args.seconds
    live_cpu, rounds = bench_live(recs, args.seconds, args.chunk, args.control_rate)
    few = recs[:8]
    each_cpu = bench_one_each(few, args.seconds, args.chunk)
    offline_cpu = bench_offline(recs)
    nk_cpu = bench_neurokit(recs)
    print(f"{args.participants} participants x {args.seconds:g} s (EEG 4x256 Hz, PPG 64, resp 25)")
    print(f"{'method':<44}{'CPU s':>8}{'part-s/CPU-s':>14}{'target':>10}")
    rows = (
        (f"symphony live, group ({args.chunk:g} s chunks)", live_cpu, work),
        (f"symphony live, one per participant ({len(few)})", each_cpu, len(few) * args.seconds),
        ("symphony offline (extract_features)", offline_cpu, work),
        ("NeuroKit2 ppg+rsp+welch (offline)", nk_cpu, work),
    )
    for name, cpu, amount in rows:
        print(f"{name:<44}{cpu:8.2f}{amount / cpu:14.0f}{'>= ' + str(int(TARGET_RATE)):>10}")
    round_ms = np.array(rounds[1:]) * 1000.0  # the first round allocates everything
    print(
        f"latency, arrival of a round of chunks -> its frames pulled (CPU, all"
        f" {args.participants} participants): median {np.median(round_ms):.1f} ms,"
        f" p99 {np.percentile(round_ms, 99):.1f} ms, max {round_ms.max():.1f} ms"
        f" (target <= {TARGET_LATENCY_MS:g} ms)"
    )
    share = live_cpu / args.seconds * 64 / args.participants
    print(
        f"design load (64 people) live would use {100 * share:.0f} % of one core (target <= 25 %)"
    )


if __name__ == "__main__":
    main()
