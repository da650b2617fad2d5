"""Read recorded biosignals from CSV, XDF, EDF/BDF and BrainFlow files into `Signal`s.

Each reader returns {participant: {kind: Signal}} with times in seconds from
the start of the recording. A malformed file raises a `SymphonyError` naming
the file, the line, row or channel, and what was expected, because a
performer loading last week's session needs to know what to fix.

CSV format (symphony's own)::

    # lines starting with '#' are comments
    time,ppg,resp,eeg:TP9,eeg:AF7,anna/eda
    0.000,50.1,0.42,-3.2,4.1,2.31
    0.015625,50.3,0.43,-2.9,3.8,2.31

The first column is ``time`` in seconds, one row per sample, evenly spaced
(the rate is 1 / the median step; a step off by more than half of it is an
error). Every other column is ``[participant/]signal[:channel]``: the
signal is one of ppg, ecg, resp, eda, eeg (or a label from the sensor
profile, e.g. "pleth"); columns of the same signal are its channels (EEG);
the participant defaults to the file name. ``nan`` marks a missing sample;
an empty cell is an error.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.errors import SymphonyError
from symphony.inputs.profiles import SensorProfile, SignalMap
from symphony.inputs.recording import SIGNAL_KINDS, Signal

Array = npt.NDArray[np.float64]
Signals = dict[str, dict[str, Signal]]

DEFAULT_UNITS = {"eeg": "uV", "ppg": "au", "ecg": "uV", "resp": "au", "eda": "uS"}
# Words in channel labels or stream types that name a signal kind, when no profile says.
KIND_WORDS = {
    "eeg": "eeg",
    "ppg": "ppg",
    "pleth": "ppg",
    "ecg": "ecg",
    "ekg": "ecg",
    "resp": "resp",
    "breath": "resp",
    "eda": "eda",
    "gsr": "eda",
}


def kind_of_label(label: str, profile: SensorProfile | None) -> tuple[str, str, float] | None:
    """(kind, unit, scale) that a channel label or stream type names, or None."""
    low = label.strip().lower()
    if profile is not None:
        for s in profile.signals:
            if low in {lb.lower() for lb in s.labels} or low == s.kind:
                return s.kind, s.unit, s.scale
    for word, kind in KIND_WORDS.items():
        if low == word or low.startswith((f"{word} ", f"{word}-", f"{word}_")):
            return kind, DEFAULT_UNITS[kind], 1.0
    return None


def merge(out: Signals, more: Signals, where: Path) -> None:
    """Add every signal of `more` to `out` (EEG channels of one rate stack)."""
    for participant, kinds in more.items():
        for signal in kinds.values():
            _add(out, participant, signal, where, f"'{signal.kind}' of '{participant}'")


def _add(out: Signals, participant: str, signal: Signal, where: Path, what: str) -> None:
    """Add a signal; channels of an EEG already there are stacked."""
    kinds = out.setdefault(participant, {})
    old = kinds.get(signal.kind)
    if old is None:
        kinds[signal.kind] = signal
        return
    if signal.kind != "eeg" or old.rate != signal.rate or old.n_samples != signal.n_samples:
        raise SymphonyError(
            f"{what}: a second '{signal.kind}' signal for participant '{participant}'",
            where=where,
            expected="one signal per kind (only eeg may have several channels of one rate)",
        )
    kinds["eeg"] = Signal(
        "eeg", old.rate, np.vstack([np.atleast_2d(old.data), signal.data]), old.unit, old.start
    )


# -- CSV ---------------------------------------------------------------------


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if row and row[0].lstrip().startswith("#"):
                continue
            if row:
                yield number, row


def _column(name: str, default: str, profile: SensorProfile | None, path: Path, line: int) -> Any:
    participant, _, rest = name.rpartition("/")
    signal, _, channel = rest.partition(":")
    found = kind_of_label(signal, profile)
    if found is None:
        raise SymphonyError(
            f"column '{name}' names no signal",
            where=path,
            line=line,
            expected=f"[participant/]signal[:channel] with signal one of {', '.join(SIGNAL_KINDS)}",
        )
    return participant.strip() or default, found, channel


def read_csv(path: Path, profile: SensorProfile | None, participant: str) -> Signals:
    rows = _rows(path)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise SymphonyError("empty CSV file", where=path, expected="a header line") from None
    if header[0].strip().lower() != "time" or len(header) < 2:
        raise SymphonyError(
            f"first column is '{header[0]}'",
            where=path,
            line=header_line,
            expected="a header 'time,<signal>,...'",
        )
    columns = [_column(h.strip(), participant, profile, path, header_line) for h in header[1:]]
    values: list[list[float]] = []
    lines: list[int] = []
    for number, row in rows:
        if len(row) != len(header):
            raise SymphonyError(
                f"{len(row)} fields", where=path, line=number, expected=f"{len(header)} fields"
            )
        parsed = []
        for name, cell in zip(header, row, strict=True):
            try:
                parsed.append(float(cell))
            except ValueError:
                raise SymphonyError(
                    f"column '{name.strip()}' holds {cell!r}",
                    where=path,
                    line=number,
                    expected="a number (or nan for a missing sample)",
                ) from None
        values.append(parsed)
        lines.append(number)
    if len(values) < 2:
        raise SymphonyError("fewer than 2 samples", where=path, expected="at least 2 rows")
    table = np.asarray(values, dtype=np.float64)
    rate = _rate_of(table[:, 0], lines, path)
    out: Signals = {}
    for (who, (kind, unit, scale), _channel), data in zip(columns, table[:, 1:].T, strict=True):
        samples = data * scale
        # Start at the file's first time stamp, so files of one session written
        # apart (one per participant and signal) line up when read together.
        start = float(table[0, 0])
        signal = Signal(kind, rate, samples[None, :] if kind == "eeg" else samples, unit, start)
        _add(out, who, signal, path, f"column of {kind}")
    return out


def _rate_of(times: Array, lines: list[int], path: Path) -> float:
    steps = np.diff(times)
    step = float(np.median(steps))
    if not np.isfinite(step) or step <= 0:
        raise SymphonyError("time does not increase", where=path, line=lines[1], key="time")
    bad = np.flatnonzero(~(np.abs(steps - step) <= 0.5 * step))
    if bad.size:
        i = int(bad[0]) + 1
        raise SymphonyError(
            f"time step {steps[i - 1]:g} s",
            where=path,
            line=lines[i],
            key="time",
            expected=f"one sample every {step:g} s",
        )
    return 1.0 / step


# -- XDF ---------------------------------------------------------------------


def _first(info: dict[str, Any], key: str, default: str = "") -> str:
    value = info.get(key)
    return str(value[0]) if isinstance(value, list) and value else default


def _xdf_labels(info: dict[str, Any]) -> list[str]:
    try:
        channels = info["desc"][0]["channels"][0]["channel"]
        return [str(c["label"][0]) for c in channels]
    except (KeyError, IndexError, TypeError):
        return []


def read_xdf(path: Path, profile: SensorProfile | None, participant: str) -> Signals:
    import pyxdf

    try:
        streams, _ = pyxdf.load_xdf(str(path))
    except Exception as exc:  # pyxdf raises many types for a corrupt file
        raise SymphonyError(f"not a readable XDF file: {exc}", where=path) from None
    regular = [s for s in streams if len(s.get("time_stamps", [])) > 0]
    t0 = min((float(s["time_stamps"][0]) for s in regular), default=0.0)
    out: Signals = {}
    for stream in regular:
        info = stream["info"]
        name, stype = _first(info, "name"), _first(info, "type")
        where = f"stream '{name}'"
        route = _xdf_route(stype, profile)
        if route is None:
            continue
        kind, unit, scale, channels = route
        rate = float(_first(info, "nominal_srate", "0") or 0)
        if rate <= 0:
            raise SymphonyError(
                f"{where} has an irregular rate", where=path, expected="a fixed nominal_srate"
            )
        series = np.asarray(stream["time_series"], dtype=np.float64)
        if series.ndim != 2:
            raise SymphonyError(f"{where}: samples are not numeric", where=path)
        picked = [c for c in channels if c < series.shape[1]] or list(range(series.shape[1]))
        data = series[:, picked].T * scale
        who, _, _ = name.rpartition("/")
        start = float(stream["time_stamps"][0]) - t0
        signal = Signal(kind, rate, data if kind == "eeg" else data[0], unit, start)
        _add(out, who or participant, signal, path, where)
    if not out:
        found = ", ".join(f"'{_first(s['info'], 'type')}'" for s in streams) or "none"
        raise SymphonyError(
            f"no stream carries a known signal (types: {found})",
            where=path,
            expected="stream types EEG, PPG, ECG, EDA, RESP or a profile's lsl_type",
        )
    return out


def _xdf_route(
    stype: str, profile: SensorProfile | None
) -> tuple[str, str, float, list[int]] | None:
    if profile is not None:
        match: SignalMap | None = next(
            (s for s in profile.signals if (s.lsl_type or "").lower() == stype.lower()), None
        )
        if match is not None:
            return match.kind, match.unit, match.scale, list(match.channels)
    found = kind_of_label(stype, None)
    return None if found is None else (found[0], found[1], found[2], [])


# -- EDF / BDF ---------------------------------------------------------------


def read_edf(path: Path, profile: SensorProfile | None, participant: str) -> Signals:
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as exc:
        raise SymphonyError(f"not a readable EDF/BDF file: {exc}", where=path) from None
    out: Signals = {}
    try:
        labels = [str(lb) for lb in reader.getSignalLabels()]
        for index, label in enumerate(labels):
            found = kind_of_label(label, profile)
            if found is None:
                continue
            kind, unit, scale = found
            rate = float(reader.getSampleFrequency(index))
            data = np.asarray(reader.readSignal(index), dtype=np.float64) * scale
            unit = unit or str(reader.getPhysicalDimension(index))
            signal = Signal(kind, rate, data[None, :] if kind == "eeg" else data, unit, 0.0)
            _add(out, participant, signal, path, f"channel {index} '{label}'")
    finally:
        reader.close()
    if not out:
        raise SymphonyError(
            f"no channel carries a known signal (labels: {', '.join(labels) or 'none'})",
            where=path,
            expected="labels such as 'EEG Fz', 'PPG', 'Resp', 'EDA' or a profile's labels",
        )
    return out


# -- BrainFlow files ----------------------------------------------------------


def read_brainflow(
    path: Path, profile: SensorProfile | None, participant: str, board: str | int | None
) -> Signals:
    from brainflow.data_filter import DataFilter

    from symphony.inputs.sources.brainflow_layout import routes_from_descr, signal_from_rows
    from symphony.inputs.sources.brainflow_source import board_descriptions, board_id

    name = board if board is not None else (profile.sensor.board if profile else None)
    if name is None:
        raise SymphonyError(
            "which board recorded this BrainFlow file?",
            where=path,
            expected="a board name, or a sensor profile with sensor.board",
        )
    descrs = board_descriptions(board_id(name))
    rows = int(descrs["default"]["num_rows"])
    try:
        data = np.asarray(DataFilter.read_file(str(path)), dtype=np.float64)
    except Exception:  # BrainFlowError says only "unable to read file"
        _locate_problem(path, rows)
        raise SymphonyError("not a readable BrainFlow file", where=path) from None
    if data.ndim != 2 or data.shape[0] != rows or data.shape[1] == 0:
        _locate_problem(path, rows)
    out: Signals = {}
    routes = [r for r in routes_from_descr(descrs, profile) if r.preset == "default"]
    offset = -float(data[routes[0].timestamp_row, 0]) if routes else 0.0
    for route in routes:
        signal = signal_from_rows(data, route, offset)
        if signal is not None:
            out.setdefault(participant, {})[route.kind] = signal
    return out


def _locate_problem(path: Path, rows: int) -> None:
    """Raise naming the line and channel row of the first problem, which BrainFlow does not.

    Only called after BrainFlow failed, so a good file is never scanned in Python.
    """
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise SymphonyError(f"cannot read BrainFlow file: {exc}", where=path) from None
    with handle:
        for number, text in enumerate(handle, start=1):
            fields = text.rstrip("\n").split("\t")
            if len(fields) != rows:
                raise SymphonyError(
                    f"{len(fields)} tab-separated values",
                    where=path,
                    line=number,
                    expected=f"{rows} per line for this board",
                )
            for column, field in enumerate(fields):
                try:
                    float(field)
                except ValueError:
                    raise SymphonyError(
                        f"channel row {column} holds {field!r}",
                        where=path,
                        line=number,
                        expected="a number",
                    ) from None
    raise SymphonyError("empty BrainFlow file", where=path, expected="tab-separated samples")
