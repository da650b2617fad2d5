"""An OSC port as a live source: Mind Monitor / Muse, OpenBCI GUI, and symphony's own paths.

The paths and the generic schema ``/symphony/<participant>/<signal>`` are
documented in `osc_paths.py` (and hardware/sensors/README.md). A python-osc
`BlockingOSCUDPServer` runs in one background thread: it handles datagrams
one after another, which at a few hundred messages a second is cheaper than
python-osc's threading server (one new thread per datagram) and keeps the
order of samples. Messages become samples in per-signal buffers; `poll`
turns each buffer into one stamped `Signal`.

Whatever arrives, the sound goes on: a malformed message (wrong types or
count, NaN, an unknown path, a datagram that is not OSC at all) is counted
per path and logged once per path, in one line naming the port, the path
and the client that sent it; `problems` holds the counts.

Moods, consent changes and leaves (`/symphony/<id>/mood|consent|leave`) are
not signals: they go, validated, onto `room` (a `RoomInbox` the live
control loop drains at every step, `LiveControl.intake`), so a withdrawal
sent over OSC acts at the next control step.

Spec keys: kind = "osc", name, host (default 127.0.0.1), port (0 = any free
port; read it back from `port`), participant (for Muse and OpenBCI paths),
rates (Hz per signal kind, for the generic schema), openbci_rate,
openbci_series ("raw" or "filtered").
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from symphony.errors import SymphonyError
from symphony.inputs.source import SignalChunk, SourceStatus
from symphony.inputs.sources.common import Clock, check_spec, monotonic_clock
from symphony.inputs.sources.osc_buffer import SignalBuffer
from symphony.inputs.sources.osc_paths import (
    OscHints,
    OscIgnored,
    OscProblem,
    OscRoom,
    OscSamples,
    parse_message,
)

log = logging.getLogger(__name__)

DEFAULT_RATES = {"eeg": 256.0, "ppg": 64.0, "ecg": 130.0, "resp": 25.0, "eda": 16.0}
UNITS = {"eeg": "uV", "ppg": "au", "ecg": "uV", "resp": "au", "eda": "uS"}
_MAX_PATHS = 256  # distinct problem paths remembered; more are counted under "other"
_QUIET_AFTER = 5.0  # s without messages after which the port counts as not connected


class OscSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "osc"
    name: str = "osc"
    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=0, le=65535)
    participant: str = "p01"
    rates: dict[str, float] = Field(default_factory=dict)
    openbci_rate: float = Field(default=250.0, gt=0)
    openbci_series: Literal["raw", "filtered"] = "raw"


class OscSource:
    """One UDP port receiving OSC (see module docstring)."""

    def __init__(self, spec: OscSpec, clock: Clock | None = None) -> None:
        self.name = spec.name
        self.spec = spec
        self.port = spec.port
        self.problems: dict[str, int] = {}
        self._clock = clock or monotonic_clock()
        self._rates = {**DEFAULT_RATES, **spec.rates}
        self._buffers: dict[tuple[str, str], SignalBuffer] = {}
        self._hints: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()
        self._status = SourceStatus(self.name)
        self._last_message: float | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.room: Any = None  # collective.intake.RoomInbox: moods and consent, when live

    def open(self) -> None:
        if self._server is not None:
            return
        from pythonosc.dispatcher import Dispatcher

        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._handle, needs_reply_address=True)
        try:
            self._server = _make_server((self.spec.host, self.spec.port), dispatcher, self)
        except OSError as exc:
            where = f"{self.spec.host}:{self.spec.port}"
            raise SymphonyError(f"cannot listen for OSC: {exc}", where=where) from None
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        log.info("%s: listening for OSC on %s:%d", self.name, self.spec.host, self.port)

    def poll(self) -> list[SignalChunk]:
        chunks = []
        with self._lock:
            for (participant, _), buffer in self._buffers.items():
                signal = buffer.take()
                if signal is None:
                    continue
                hints = self._hints.pop(participant, {})
                chunks.append(SignalChunk(participant, signal, hints))
                end = signal.start + signal.duration
                self._status.last_data = max(self._status.last_data or end, end)
        return chunks

    def status(self) -> SourceStatus:
        with self._lock:
            status = SourceStatus(**vars(self._status))
            recent = self._last_message is not None and (
                time.monotonic() - self._last_message < _QUIET_AFTER
            )
        status.connected = self._server is not None and recent
        return status

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    # -- server thread ---------------------------------------------------------

    def _handle(self, client: Any, address: str, *args: Any) -> None:
        meaning = parse_message(address, args, openbci_series=self.spec.openbci_series)
        now = self._clock()
        with self._lock:
            self._last_message = time.monotonic()
            if isinstance(meaning, OscProblem):
                self.problem(address, meaning.reason, client)
            elif isinstance(meaning, OscRoom):
                self._to_room(address, meaning, client)
            elif isinstance(meaning, OscHints):
                who = meaning.participant or self.spec.participant
                self._hints.setdefault(who, {}).update(meaning.hints)
            elif isinstance(meaning, OscSamples):
                self._buffer(meaning).add(meaning, now)
            else:
                assert isinstance(meaning, OscIgnored)

    def _buffer(self, samples: OscSamples) -> SignalBuffer:
        who = samples.participant or self.spec.participant
        key = (who, samples.kind)
        buffer = self._buffers.get(key)
        if buffer is None:
            rate = samples.rate or (
                self.spec.openbci_rate if samples.channel is not None else self._rates[samples.kind]
            )
            buffer = self._buffers[key] = SignalBuffer(samples.kind, rate, UNITS[samples.kind])
        return buffer

    def _to_room(self, address: str, meaning: OscRoom, client: Any) -> None:
        if self.room is None:
            self.problem(address, "moods and consent are taken only by a live show", client)
        elif not self.room.put(meaning.message):
            self.problem(address, "the room's inbox is full (a flood?): message dropped", client)

    def problem(self, path: str, reason: str, client: Any = None) -> None:
        """Count a malformed message; log it the first time its path misbehaves."""
        if path not in self.problems and len(self.problems) >= _MAX_PATHS:
            path = "other"
        count = self.problems.get(path, 0) + 1
        self.problems[path] = count
        sender = f" from {client[0]}:{client[1]}" if isinstance(client, tuple) else ""
        message = f"OSC port {self.port}: {path}{sender}: {reason}"
        self._status.error = message
        if count == 1:
            log.warning("%s (further problems on this path are only counted)", message)


def _counting_server_class() -> type:
    from pythonosc.osc_server import BlockingOSCUDPServer

    class CountingServer(BlockingOSCUDPServer):
        """Counts datagrams that are not OSC instead of dropping them silently."""

        def __init__(self, address: tuple[str, int], dispatcher: Any, owner: OscSource) -> None:
            self.owner = owner
            super().__init__(address, dispatcher)

        def server_bind(self) -> None:
            _widen_receive_buffer(self.socket)
            super().server_bind()

        def verify_request(self, request: Any, client_address: Any) -> bool:
            ok = bool(super().verify_request(request, client_address))
            if not ok:
                with self.owner._lock:
                    self.owner.problem(
                        "<not OSC>", "datagram is not an OSC message or bundle", client_address
                    )
            return ok

    return CountingServer


RECEIVE_BUFFER = 4 * 1024 * 1024  # bytes: about 4 s of a Muse at full rate, in kernel memory


def _widen_receive_buffer(sock: Any) -> None:
    """Let the kernel hold a burst of datagrams while our thread is busy.

    Mind Monitor sends each EEG sample as its own datagram, and a Wi-Fi
    hiccup delivers them in bursts; the default buffer (about 200 KB, a few
    hundred datagrams with their overhead) overflows in a fraction of a
    second whenever the machine is loaded, and UDP drops silently. As root
    SO_RCVBUFFORCE goes past the system's rmem_max; otherwise SO_RCVBUF gets
    what the system allows.
    """
    import socket

    force = getattr(socket, "SO_RCVBUFFORCE", None)
    for option in (force, socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
            return
        except OSError:
            continue


def _make_server(address: tuple[str, int], dispatcher: Any, owner: OscSource) -> Any:
    return _counting_server_class()(address, dispatcher, owner)


def from_spec(spec: dict[str, Any], clock: Clock | None = None) -> OscSource:
    checked = check_spec(OscSpec, spec, f"source '{spec.get('name', 'osc')}'")
    unknown = set(checked.rates) - set(DEFAULT_RATES)
    if unknown:
        raise SymphonyError(
            f"unknown signal kind '{sorted(unknown)[0]}'",
            where=f"source '{checked.name}'",
            key="rates",
            expected=", ".join(DEFAULT_RATES),
        )
    return OscSource(checked, clock)
