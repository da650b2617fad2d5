"""Feature extraction speed and latency at the design load, against NeuroKit2.

Load: P participants, each EEG 4 ch x 256 Hz, PPG 64 Hz, respiration 25 Hz
(simulated). Measured on one core with time.process_time, in one run:

- symphony, live: every participant's signals pushed in 0.1 s chunks and
  pulled after each, as a show does; latency = CPU time from pushing a chunk
  to the frame covering it being pulled (the extractor's own delay beyond
  each feature's window; filter/window delays are in the features' docs);
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


def bench_live(
    recs: list[ParticipantRecording], seconds: float, chunk: float
) -> tuple[float, list[float], list[float]]:
    """CPU seconds; per-participant push-to-pull CPU times; whole-round CPU times."""
    features = [ParticipantFeatures(r.participant) for r in recs]
    latencies: list[float] = []
    rounds: list[float] = []
    cpu0 = time.process_time()
    for k in range(round(seconds / chunk)):
        t0 = k * chunk
        round_start = time.process_time()
        for rec, f in zip(recs, features, strict=True):
            start = time.process_time()
            for s in rec.signals.values():
                a, b = round(t0 * s.rate), round((t0 + chunk) * s.rate)
                f.push(Signal(s.kind, s.rate, s.data[..., a:b], s.unit, t0))
            f.pull()
            latencies.append(time.process_time() - start)
        rounds.append(time.process_time() - round_start)
    return time.process_time() - cpu0, latencies, rounds


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
    args = parser.parse_args()
    recs = _recordings(args.participants, args.seconds)
    work = args.participants * args.seconds
    live_cpu, lat, rounds = bench_live(recs, args.seconds, args.chunk)
    offline_cpu = bench_offline(recs)
    nk_cpu = bench_neurokit(recs)
    lat_ms = np.array(lat) * 1000.0
    print(f"{args.participants} participants x {args.seconds:g} s (EEG 4x256 Hz, PPG 64, resp 25)")
    print(f"{'method':<34}{'CPU s':>8}{'part-s/CPU-s':>14}{'target':>10}")
    for name, cpu in (
        (f"symphony live ({args.chunk:g} s chunks)", live_cpu),
        ("symphony offline (extract_features)", offline_cpu),
        ("NeuroKit2 ppg+rsp+welch (offline)", nk_cpu),
    ):
        print(f"{name:<34}{cpu:8.2f}{work / cpu:14.0f}{'>= ' + str(int(TARGET_RATE)):>10}")
    print(
        f"latency push->frame pulled (CPU, per participant chunk):"
        f" median {np.median(lat_ms):.2f} ms,"
        f" p99 {np.percentile(lat_ms, 99):.2f} ms, max {lat_ms.max():.2f} ms"
        f" (target <= {TARGET_LATENCY_MS:g} ms)"
    )
    round_ms = np.array(rounds) * 1000.0
    print(
        f"one round of all {args.participants} participants in one process (the worst wait):"
        f" median {np.median(round_ms):.1f} ms, max {round_ms.max():.1f} ms"
    )
    share = live_cpu / args.seconds * 64 / args.participants
    print(
        f"design load (64 people) live would use {100 * share:.0f} % of one core (target <= 25 %)"
    )


if __name__ == "__main__":
    main()
