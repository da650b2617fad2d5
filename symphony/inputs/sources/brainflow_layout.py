"""Which rows of a BrainFlow board's data carry which signal: pure mapping, no device.

BrainFlow describes each board (and each of its presets: default, auxiliary,
ancillary) as a dict of channel groups ("eeg_channels", "ppg_channels", ...),
a sampling rate and a timestamp row. This module turns that description,
optionally refined by a sensor profile, into `Route`s, and turns a block of
board data into `Signal`s, so the device code around it stays thin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.inputs.profiles import SensorProfile
from symphony.inputs.recording import Signal

PRESETS = ("default", "auxiliary", "ancillary")
# Without a profile: BrainFlow group -> signal kind, unit. ECG is left out on
# purpose: many boards list every ExG row as "ecg" too, which is not a heart.
DEFAULT_GROUPS = {"eeg": ("eeg", "uV"), "ppg": ("ppg", "au"), "eda": ("eda", "uS")}
# Boards that replay or relay another board: their layout is the master board's.
RELAY_BOARDS = ("PLAYBACK_FILE_BOARD", "STREAMING_BOARD")


@dataclass(frozen=True)
class Route:
    """Rows of one preset's data that make one signal."""

    kind: str
    preset: str
    rate: float
    rows: tuple[int, ...]
    timestamp_row: int
    unit: str
    scale: float = 1.0


def routes_from_descr(
    descrs: Mapping[str, Mapping[str, Any]], profile: SensorProfile | None = None
) -> list[Route]:
    """Routes for a board, from its description per preset name.

    With a profile, each of its signals with a `board_group` picks rows of that
    group (`channels` are indices within the group, all of it when empty);
    without one, EEG, PPG and EDA groups map to their kinds. Single-channel
    kinds take one row: the profile's first channel, else the group's first.
    """
    wanted: list[tuple[str, str, str, list[int], str, float]]
    if profile is not None:
        wanted = [
            (s.kind, str(s.board_preset), s.board_group, list(s.channels), s.unit, s.scale)
            for s in profile.signals
            if s.board_group is not None
        ]
    else:
        wanted = [
            (kind, preset, group, [], unit, 1.0)
            for preset in PRESETS
            for group, (kind, unit) in DEFAULT_GROUPS.items()
        ]
    routes: list[Route] = []
    seen: set[str] = set()
    for kind, preset, group, channels, unit, scale in wanted:
        descr = descrs.get(preset)
        if descr is None or kind in seen:
            continue
        rows = list(descr.get(f"{group}_channels", []))
        if not rows or "timestamp_channel" not in descr:
            continue
        picked = [rows[c] for c in channels if c < len(rows)] if channels else rows
        if kind != "eeg":
            picked = picked[:1]
        if not picked:
            continue
        rate = float(descr["sampling_rate"])
        routes.append(
            Route(kind, preset, rate, tuple(picked), int(descr["timestamp_channel"]), unit, scale)
        )
        seen.add(kind)
    return routes


def signal_from_rows(
    data: npt.NDArray[np.float64], route: Route, clock_offset: float
) -> Signal | None:
    """One `Signal` from a block of board data (rows x samples), on the show clock.

    `clock_offset` is added to the board timestamps (seconds) to reach show
    time; the first sample's timestamp becomes `Signal.start`.
    """
    if data.ndim != 2 or data.shape[1] == 0:
        return None
    rows = np.asarray(route.rows)
    values = data[rows, :].astype(np.float64) * route.scale
    samples = values if route.kind == "eeg" else values[0]
    start = float(data[route.timestamp_row, 0]) + clock_offset
    return Signal(route.kind, route.rate, np.ascontiguousarray(samples), route.unit, start)
