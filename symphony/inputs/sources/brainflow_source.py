"""A BrainFlow board as a live source: any board by name, reconnecting on its own.

A reader thread owns the board: it prepares the session, drains the board's
ring buffers every 50 ms into a queue, and on any error (or when no data
arrives for `stall_timeout` seconds, which is how a Bluetooth drop often
looks) releases the session and prepares it again after 0.5, 1, 2, 4, 8, 8 ...
seconds. `poll` only drains the queue, so the control loop never waits on a
device. Board timestamps (host unix time for live boards) are mapped onto the
show clock; replayed files carry old timestamps, so when they are far from
now the first chunk after each connect anchors them instead.

Spec keys: kind = "brainflow", name, board (a BoardIds name or number),
participant, params (BrainFlowInputParams fields, e.g. serial_port,
mac_address, file, master_board), profile (a hardware/sensors name), config
(board commands sent after connecting, e.g. "p50" to turn on Muse PPG),
stall_timeout (s).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from symphony.errors import SymphonyError
from symphony.inputs.profiles import SensorProfile, load_profile
from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk, SourceStatus
from symphony.inputs.sources.brainflow_layout import (
    PRESETS,
    RELAY_BOARDS,
    Route,
    routes_from_descr,
    signal_from_rows,
)
from symphony.inputs.sources.common import Backoff, Clock, check_spec, drain, monotonic_clock

log = logging.getLogger(__name__)

_POLL_INTERVAL = 0.05
_WALL_CLOCK_TOLERANCE = 5.0  # s: board timestamps further from now are anchored instead


class BrainFlowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "brainflow"
    name: str = "brainflow"
    board: str | int = "SYNTHETIC_BOARD"
    participant: str = "p01"
    params: dict[str, str | int] = Field(default_factory=dict)
    profile: str | None = None
    config: list[str] = Field(default_factory=list)
    stall_timeout: float = Field(default=5.0, gt=0)


def board_id(board: str | int) -> int:
    """A BoardIds number from its name or number, or a SymphonyError listing names."""
    from brainflow.board_shim import BoardIds

    if isinstance(board, int) or (isinstance(board, str) and board.lstrip("-").isdigit()):
        value = int(board)
        if value in {b.value for b in BoardIds}:
            return value
    elif board.upper() in BoardIds.__members__:
        return int(BoardIds[board.upper()].value)
    raise SymphonyError(
        f"unknown BrainFlow board {board!r}",
        where="brainflow",
        expected="a BoardIds name such as SYNTHETIC_BOARD, CYTON_BOARD, MUSE_2_BOARD",
    )


def board_descriptions(bid: int) -> dict[str, dict[str, Any]]:
    """BrainFlow's description of each preset the board has.

    Only presets BrainFlow lists are asked for: in BrainFlow 5.23 a failed
    `get_board_descr` for a missing preset breaks later `start_stream` calls
    of that board in the same process.
    """
    from brainflow.board_shim import BoardShim, BrainFlowPresets

    available = set(BoardShim.get_board_presets(bid))
    return {
        name: dict(BoardShim.get_board_descr(bid, preset))
        for name, preset in zip(PRESETS, BrainFlowPresets, strict=True)
        if int(preset.value) in available
    }


def input_params(params: dict[str, str | int]) -> Any:
    """BrainFlowInputParams from a dict; master_board may be a board name."""
    from brainflow.board_shim import BrainFlowInputParams

    out = BrainFlowInputParams()
    for key, value in params.items():
        if not hasattr(out, key):
            known = ", ".join(sorted(vars(out)))
            raise SymphonyError("unknown BrainFlow parameter", key=key, expected=known)
        setattr(out, key, board_id(value) if key == "master_board" else value)
    return out


class BrainFlowSource:
    """One BrainFlow board of one participant (see module docstring)."""

    def __init__(
        self,
        spec: BrainFlowSpec,
        clock: Clock | None = None,
        profile: SensorProfile | None = None,
    ) -> None:
        self.name = spec.name
        self.spec = spec
        self.participant = spec.participant
        self._clock = clock or monotonic_clock()
        self._board_id = board_id(spec.board)
        self._params = input_params(spec.params)
        layout_id = self._layout_board()
        self.routes: list[Route] = routes_from_descr(board_descriptions(layout_id), profile)
        self._queue: queue.SimpleQueue[SignalChunk] = queue.SimpleQueue()
        self._status = SourceStatus(self.name)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff = Backoff()

    def _layout_board(self) -> int:
        from brainflow.board_shim import BoardIds

        name = BoardIds(self._board_id).name
        if name in RELAY_BOARDS:
            master = int(self._params.master_board)
            if master == int(BoardIds.NO_BOARD.value):
                raise SymphonyError(
                    f"{name} needs params.master_board", where=self.name, key="params"
                )
            return master
        return self._board_id

    def open(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"brainflow-{self.name}")
        self._thread.daemon = True
        self._thread.start()

    def poll(self) -> list[SignalChunk]:
        return drain(self._queue)

    def status(self) -> SourceStatus:
        with self._lock:
            return SourceStatus(**vars(self._status))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None

    # -- reader thread -------------------------------------------------------

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            board = self._connect(first)
            first = False
            if board is None:
                continue
            try:
                self._stream(board)
            except Exception as exc:  # any device failure becomes a status
                self._fail(f"board {self._board_name()} lost: {exc}")
            finally:
                self._release(board)

    def _board_name(self) -> str:
        from brainflow.board_shim import BoardIds

        return BoardIds(self._board_id).name

    def _connect(self, first: bool) -> Any:
        from brainflow.board_shim import BoardShim

        board = BoardShim(self._board_id, self._params)
        try:
            board.prepare_session()
            for command in self.spec.config:
                board.config_board(command)
            board.start_stream()
        except Exception as exc:
            self._release(board)
            self._fail(f"cannot connect to {self._board_name()}: {exc}")
            return None
        with self._lock:
            if not first:
                self._status.reconnects += 1
            self._status.connected = True
            self._status.next_retry = None
        self._backoff.reset()
        log.info("%s: connected to %s", self.name, self._board_name())
        return board

    def _stream(self, board: Any) -> None:
        from brainflow.board_shim import BrainFlowPresets

        presets = dict(zip(PRESETS, BrainFlowPresets, strict=True))
        anchors: dict[str, float] = {}
        last_data = time.monotonic()
        while not self._stop.wait(_POLL_INTERVAL):
            got = False
            for preset in {route.preset for route in self.routes}:
                # get_board_data drains the preset's buffer: read once, split by route.
                data = board.get_board_data(preset=presets[preset])
                if data.shape[1] == 0:
                    continue
                got = True
                for route in self.routes:
                    if route.preset == preset:
                        stamp = float(data[route.timestamp_row, -1])
                        offset = self._offset(preset, stamp, anchors)
                        self._emit(signal_from_rows(data, route, offset))
            now = time.monotonic()
            if got:
                last_data = now
            elif now - last_data > self.spec.stall_timeout:
                raise TimeoutError(f"no data for {self.spec.stall_timeout:g} s")

    def _emit(self, signal: Signal | None) -> None:
        if signal is None:
            return
        self._queue.put(SignalChunk(self.participant, signal))
        with self._lock:
            self._status.last_data = signal.start + signal.duration

    def _offset(self, preset: str, last_stamp: float, anchors: dict[str, float]) -> float:
        """Board time to show time: via the wall clock, or anchored for old stamps."""
        if preset in anchors:
            return anchors[preset]
        show, wall = self._clock(), time.time()
        if abs(wall - last_stamp) < _WALL_CLOCK_TOLERANCE:
            return show - wall
        anchors[preset] = show - last_stamp
        return anchors[preset]

    def _fail(self, message: str) -> None:
        delay = self._backoff.delay()
        with self._lock:
            first_report = self._status.error != message
            self._status.connected = False
            self._status.error = message
            self._status.next_retry = time.monotonic() + delay
        if first_report:
            log.warning("%s: %s; retrying in %.1f s", self.name, message, delay)
        self._stop.wait(delay)

    @staticmethod
    def _release(board: Any) -> None:
        try:
            if board.is_prepared():
                board.release_session()
        except Exception:  # releasing a dead board may fail too
            pass


def from_spec(spec: dict[str, Any], clock: Clock | None = None) -> BrainFlowSource:
    checked = check_spec(BrainFlowSpec, spec, f"source '{spec.get('name', 'brainflow')}'")
    profile = load_profile(checked.profile) if checked.profile else None
    return BrainFlowSource(checked, clock, profile)
