"""`symphony monitor SOURCE`: a sensor's live features and quality, before a show.

Answers "is it really responding to me?" while people put their sensors on.
SOURCE goes through the sources registry, so what monitor shows is what the
show will get. It is one of:

- a recording file or folder (CSV, XDF, EDF/BDF, BrainFlow; a `NAME.signals/`
  folder written by `symphony live`): ``monitor show.signals --fast``;
- a performance file, all its `[[sources]]`, or one of them by name:
  ``monitor performances/recorded.toml:circle``;
- a kind with options, ``KIND[:key=value,key=value]``: ``simulated:4``,
  ``brainflow:board=SYNTHETIC_BOARD``, ``osc:port=5000,participant=anna``,
  ``lsl:type=PPG,participant=anna`` (for lsl, name/type/source_id/participant
  select one stream); dotted keys nest, ``params.serial_port=/dev/ttyUSB0``.

Output: a table refreshed in place on a terminal, plain lines otherwise;
`--json` one object per feature update (time in s, participant, features
with value and unit). `--collective` shows the room instead: the collective
features and the roster, from the same Room as render and live
(`monitor_room.py`). `--fast` reads recordings (and the simulator) at full
speed instead of in real time; `--duration` stops after that long (a
recording stops at its end anyway).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from symphony.errors import SymphonyError
from symphony.features.simple import FEATURES, ParticipantFeatures, concat_tracks
from symphony.features.track import FeatureTrack
from symphony.inputs.recording import SIGNAL_KINDS, ParticipantRecording, Signal
from symphony.inputs.source import Source

_STEP = 0.25  # s of signal delivered per update
_SIM_SECONDS = 600.0  # s simulated when no --duration is given
_RATE = 50.0  # feature frames per second
_REPLAYABLE = ("recording", "simulated")
_LSL_STREAM_KEYS = ("name", "type", "source_id", "participant", "profile")
_FORMS = (
    "a recording file or folder, PERFORMANCE.toml[:SOURCE], simulated[:N] "
    "or KIND:key=value,... with KIND one of brainflow, lsl, osc, recording, simulated"
)


def _value(text: str) -> Any:
    """An option value: a whole number, a number, true/false, or the text itself."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_options(kind: str, text: str) -> dict[str, Any]:
    """`key=value,key=value` to a source spec; dotted keys nest (`params.serial_port`)."""
    spec: dict[str, Any] = {"kind": kind, "name": kind}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SymphonyError(
                f"option {item!r} of source '{kind}'", key=key or None, expected="key=value"
            )
        *outer, last = key.split(".")
        target = spec
        for part in outer:
            target = target.setdefault(part, {})
        target[last] = _value(value)
    if kind == "lsl" and "streams" not in spec:
        stream = {k: spec.pop(k) for k in _LSL_STREAM_KEYS if k in spec and k != "name"}
        if "name" in spec and spec["name"] != "lsl":
            stream["name"] = spec.pop("name")
        spec["name"] = "lsl"
        spec["streams"] = [stream]
    return spec


def _replay_keys(spec: dict[str, Any], fast: bool, duration: float | None) -> dict[str, Any]:
    if spec.get("kind") not in _REPLAYABLE:
        return spec
    out = {**spec, "fast": fast or bool(spec.get("fast", False)), "chunk": _STEP}
    if out["kind"] == "simulated" and "duration" not in spec:
        out["duration"] = max(duration or _SIM_SECONDS, 1.0)
    return out


def _performance_specs(path: Path, name: str | None) -> list[dict[str, Any]]:
    import difflib

    from symphony.performance.loader import parse_performance
    from symphony.performance.sources import backend_spec, check_sources

    spec, lines = parse_performance(path)
    check_sources(spec, path, lines)
    if not spec.sources:
        raise SymphonyError(
            "the performance names no [[sources]]",
            where=path,
            expected="a performance with [[sources]], or simulated:N",
        )
    chosen = [s for s in spec.sources if name is None or s.name == name]
    if not chosen:
        known = [s.name for s in spec.sources]
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise SymphonyError(
            f"no source named '{name}'", where=path, expected=f"{hint}one of: {', '.join(known)}"
        )
    return [backend_spec(s, path) for s in chosen]


def source_specs(text: str, fast: bool, duration: float | None) -> list[dict[str, Any]]:
    """The registry specs SOURCE names (see module docstring); errors say what was expected."""
    from symphony.inputs.sources import BACKENDS

    toml, colon, name = text.rpartition(":")
    if text.endswith(".toml") or (colon and toml.endswith(".toml")):
        path = Path(text if text.endswith(".toml") else toml)
        picked = None if text.endswith(".toml") else name
        if not path.is_file():
            raise SymphonyError(f"source {text!r}: no such performance file", expected=_FORMS)
        specs = _performance_specs(path, picked)
    elif Path(text).exists():
        specs = [{"kind": "recording", "name": Path(text).name, "path": text}]
    else:
        kind, _, options = text.partition(":")
        if kind == "simulated" and options and "=" not in options:
            if not options.isdigit() or int(options) < 1:
                raise SymphonyError(f"source {text!r}: expected simulated:N with N >= 1")
            options = f"participants={options}"
        if kind not in BACKENDS:
            raise SymphonyError(f"source {text!r}: no such file, and not {_FORMS}")
        if kind == "simulated" and "participants" not in options:
            options = ",".join(filter(None, [options, "participants=1"]))
        specs = [parse_options(kind, options)]
    return [_replay_keys(s, fast, duration) for s in specs]


def _legacy_csv(text: str, fast: bool, clock: Any) -> Source | None:
    """Monitor's older CSV header (`p01.ppg`), when the recording reader refuses the file."""
    path = Path(text)
    if path.suffix.lower() != ".csv" or not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    if any("/" in column for column in header):
        return None
    from symphony.inputs.sources.recording_source import ReplaySource

    return ReplaySource(read_csv_recording(path), clock, name=path.name, fast=fast, chunk=_STEP)


def open_sources(text: str, specs: list[dict[str, Any]], fast: bool, clock: Any) -> list[Source]:
    """Build and open the sources SOURCE named, on `clock` (show seconds)."""
    from symphony.inputs.sources import make_source

    built: list[Source] = []
    for spec in specs:
        try:
            built.append(make_source(spec, clock))
        except SymphonyError:
            legacy = _legacy_csv(text, fast, clock) if spec.get("kind") == "recording" else None
            if legacy is None:
                raise
            built.append(legacy)
    for source in built:
        source.open()
    return built


def _finished(sources: list[Source]) -> bool:
    """Every source is a replay that has played to its end."""
    return all(bool(getattr(s, "finished", False)) for s in sources)


def read_csv_recording(path: Path) -> list[ParticipantRecording]:
    """Recordings from monitor's older CSV header (``time,p01.ppg,p01.eeg:TP9``).

    Kept so files written for earlier versions still open; new files use the
    recording reader's ``[participant/]signal[:channel]`` header.
    """
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
    if getattr(args, "collective", False):
        from symphony.commands.monitor_room import run_collective

        return run_collective(args)
    specs = source_specs(args.source, bool(args.fast), args.duration)
    # Only recordings and the simulator can run ahead of the clock.
    fast = bool(args.fast) and all(s.get("kind") in _REPLAYABLE for s in specs)
    steps = {"t": 0.0}
    began = time.monotonic()

    def clock() -> float:
        return steps["t"] if fast else time.monotonic() - began

    sources = open_sources(args.source, specs, fast, clock)
    extractors: dict[str, ParticipantFeatures] = {}
    history: dict[str, list[FeatureTrack]] = {}
    latest: dict[str, dict[str, float]] = {}
    tty = sys.stdout.isatty() and not args.json
    lines = 0
    try:
        while args.duration is None or steps["t"] < args.duration - 1e-9:
            if _finished(sources):
                break
            steps["t"] += _STEP
            if not fast:
                time.sleep(max(0.0, began + steps["t"] - time.monotonic()))
            t = steps["t"] if fast else clock()
            for source in sources:
                for chunk in source.poll():
                    who = chunk.participant
                    if who not in extractors:
                        extractors[who] = ParticipantFeatures(who, _RATE)
                        history[who] = []
                    extractors[who].push(chunk.signal)
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
    finally:
        for source in sources:
            source.close()
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
