"""`symphony monitor SOURCE`: a sensor's live features and quality, before a show.

Answers "is it really responding to me?" while people put their sensors on.
SOURCE is `simulated[:N]` (N simulated participants, default 1) or a CSV
recording. CSV header: a `time` column in seconds, then one column per
signal named `KIND` or `KIND:CHANNEL` (KIND one of ppg, resp, eeg, eda;
EEG channels as eeg:TP9, eeg:AF7, ...), optionally prefixed by the
participant, `p01.ppg`. One sample rate per file (from the time column);
empty cells are gaps. Example::

    time,p01.ppg,p01.resp,p01.eeg:TP9,p01.eeg:TP10
    0.000,512.1,0.31,3.2,-1.7

Output: a table refreshed in place on a terminal, plain lines otherwise;
`--json` one object per feature update (time in s, participant, features
with value and unit). `--fast` replays a recording at full speed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symphony.errors import SymphonyError
from symphony.features.simple import FEATURES, ParticipantFeatures, concat_tracks
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import SIGNAL_KINDS, ParticipantRecording, Signal

_STEP = 0.25  # s of signal delivered per update
_SIM_SECONDS = 600.0  # s simulated when no --duration is given
_RATE = 50.0  # feature frames per second


@dataclass
class _Replay:
    """Recordings replayed as live chunks of `_STEP` seconds."""

    recordings: list[ParticipantRecording]
    duration: float

    def chunks(self) -> Iterator[tuple[float, list[tuple[str, Signal]]]]:
        t = 0.0
        while t < self.duration:
            out = []
            for rec in self.recordings:
                for s in rec.signals.values():
                    a, b = round(t * s.rate), round((t + _STEP) * s.rate)
                    if a < s.n_samples:
                        piece = Signal(s.kind, s.rate, s.data[..., a:b], s.unit, s.start + t)
                        out.append((rec.participant, piece))
            t += _STEP
            yield t, out


def parse_source(text: str, duration: float | None) -> _Replay:
    """`simulated[:N]` or a CSV path; errors name what was expected."""
    if text == "simulated" or text.startswith("simulated:"):
        from symphony.inputs.simulated import StateChange, simulate_group

        count = text.partition(":")[2] or "1"
        if not count.isdigit() or int(count) < 1:
            raise SymphonyError(f"source {text!r}: expected simulated:N with N >= 1")
        length = duration or _SIM_SECONDS
        recs = simulate_group(int(count), max(length, 1.0), 1, [StateChange(0.0, "calm")])
        return _Replay(recs, length)
    path = Path(text)
    if not path.is_file():
        raise SymphonyError(f"source {text!r}: not 'simulated[:N]' and no such file")
    recs = read_csv_recording(path)
    length = max(s.duration for r in recs for s in r.signals.values())
    return _Replay(recs, min(length, duration) if duration else length)


def read_csv_recording(path: Path) -> list[ParticipantRecording]:
    """Recordings from a CSV with the header described in the module docstring."""
    with path.open(newline="") as f:
        header = next(csv.reader(f), None)
    if not header or header[0].strip() != "time":
        raise SymphonyError(f"{path}: the first column must be 'time' (seconds)")
    table = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64, ndmin=2)
    if table.shape[0] < 2:
        raise SymphonyError(f"{path}: need at least two rows of samples")
    fs = 1.0 / float(np.median(np.diff(table[:, 0])))
    columns: dict[tuple[str, str], list[int]] = {}
    for i, name in enumerate(header[1:], start=1):
        who, _, rest = name.strip().rpartition(".")
        kind = rest.partition(":")[0]
        if kind not in SIGNAL_KINDS:
            raise SymphonyError(f"{path}: column {name!r}: kind must be one of {SIGNAL_KINDS}")
        columns.setdefault((who or "p01", kind), []).append(i)
    by_person: dict[str, dict[str, Signal]] = {}
    for (who, kind), idx in columns.items():
        data = table[:, idx].T if kind == "eeg" else table[:, idx[0]]
        by_person.setdefault(who, {})[kind] = Signal(
            kind, fs, np.ascontiguousarray(data), start=float(table[0, 0])
        )
    return [ParticipantRecording(who, signals) for who, signals in by_person.items()]


def _latest(track: FeatureTrack) -> dict[str, float]:
    return {name: float(v[-1]) for name, v in track.values.items() if v.size}


def _json_line(t: float, who: str, values: dict[str, float]) -> str:
    feats = {
        name: {"value": None if not np.isfinite(x) else round(x, 4), "unit": FEATURES[name].unit}
        for name, x in values.items()
    }
    return json.dumps({"time": round(t, 3), "participant": who, "features": feats})


def _table(t: float, latest: dict[str, dict[str, float]]) -> str:
    names = list(FEATURES)
    head = f"t={t:8.2f}s  " + " ".join(f"{n[:11]:>11}" for n in names)
    units = " " * 12 + " ".join(f"{FEATURES[n].unit[:11]:>11}" for n in names)
    rows = [
        f"{who:<12}" + " ".join(f"{vals.get(n, np.nan):11.2f}" for n in names)
        for who, vals in sorted(latest.items())
    ]
    return "\n".join([head, units, *rows])


def run_monitor(args: argparse.Namespace) -> int:
    replay = parse_source(args.source, args.duration)
    extractors = {
        r.participant: ParticipantFeatures(r.participant, _RATE) for r in replay.recordings
    }
    history: dict[str, list[FeatureTrack]] = {who: [] for who in extractors}
    latest: dict[str, dict[str, float]] = {}
    tty = sys.stdout.isatty() and not args.json
    began = time.monotonic()
    lines = 0
    for t, chunks in replay.chunks():
        for who, signal in chunks:
            extractors[who].push(signal)
        for who, features in extractors.items():
            track = features.pull(now=t)
            if not track.n_frames:
                continue
            history[who].append(track)
            latest[who] = _latest(track)
            if args.json:
                print(_json_line(t, who, latest[who]))
        if not args.json:
            text = _table(t, latest)
            if tty and lines:
                sys.stdout.write(f"\x1b[{lines}F\x1b[J")
            print(text)
            lines = text.count("\n") + 1
        sys.stdout.flush()
        if not args.fast:
            time.sleep(max(0.0, began + t - time.monotonic()))
    if args.plot is not None:
        tracks = {who: concat_tracks(p, who, _RATE) for who, p in history.items() if p}
        plot_tracks(tracks, args.plot)
        print(f"plot: {args.plot}", file=sys.stderr)
    return 0


def plot_tracks(tracks: dict[str, FeatureTrack], out: Path) -> None:
    """One panel per feature, one line per participant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(FEATURES), 1, figsize=(10, 1.6 * len(FEATURES)), sharex=True)
    for ax, (name, info) in zip(axes, FEATURES.items(), strict=True):
        for who, track in tracks.items():
            ax.plot(track.times(), track.values[name], lw=0.8, label=who)
        ax.set_ylabel(f"{name}\n{info.unit}", fontsize=7)
    axes[-1].set_xlabel("time (s)")
    axes[0].legend(fontsize=6, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
