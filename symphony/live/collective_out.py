"""The performance's `[[outputs]]` (kind = "osc"): the room's collective state, sent out.

At every room update of the live control process (`live/control.py`
calls `send` with the new `RoomFrame`) each output gets the messages
`collective/outgoing.py` allows: the collective features, and the
heartbeat events, only while 3 or more people carry them. By default one
UDP datagram per update and output (an OSC bundle, time tag "now");
`bundle = false` sends the messages one by one, for receivers that do not
read bundles.

Whatever happens on the network, the show goes on: a host that does not
resolve, or a send the network refuses, is one warning line naming the
output, host and port (once per output and kind of error), and that update
is skipped for it; the next update tries again.
"""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from symphony.collective.outgoing import Message, event_messages, feature_messages
from symphony.collective.room import RoomFrame
from symphony.performance.schema import OscOutputSpec

log = logging.getLogger(__name__)
RESOLVE_RETRY = 30.0  # s between look-ups of a host that did not resolve (each may block)


def _datagrams(messages: list[Message], bundle: bool) -> list[bytes]:
    """The messages as OSC datagrams: one bundle, or one datagram per message."""
    built = []
    for path, value in messages:
        builder = OscMessageBuilder(address=path)
        builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        built.append(builder.build())
    if not bundle:
        return [m.dgram for m in built]
    if not built:
        return []
    bundler = OscBundleBuilder(IMMEDIATELY)
    for message in built:
        bundler.add_content(message)
    return [bundler.build().dgram]


@dataclass
class _Output:
    spec: OscOutputSpec
    label: str
    names: tuple[str, ...] | None
    sock: socket.socket
    address: tuple[str, int] | None = None
    warned: set[str] = field(default_factory=set)
    sent: int = 0  # datagrams sent
    retry_at: float = -math.inf  # show time of the next look-up of the host, while unresolved

    def warn(self, kind: str, text: str) -> None:
        if kind not in self.warned:
            self.warned.add(kind)
            log.warning(
                "OSC output %s (%s:%d): %s", self.label, self.spec.host, self.spec.port, text
            )

    def resolve(self, now: float) -> tuple[str, int] | None:
        """The host's address, looked up once (a failed look-up is tried again, rarely)."""
        if self.address is None and now >= self.retry_at:
            self.retry_at = now + RESOLVE_RETRY
            try:
                info = socket.getaddrinfo(
                    self.spec.host, self.spec.port, socket.AF_INET, socket.SOCK_DGRAM
                )
                host, port = info[0][4][:2]
                self.address = (str(host), int(port))
            except OSError as exc:
                again = f"trying again every {RESOLVE_RETRY:g} s"
                self.warn("resolve", f"cannot resolve the host ({exc}); {again}")
        return self.address


class CollectiveOut:
    """Every `[[outputs]]` of kind "osc" of a performance (module docstring)."""

    def __init__(self, specs: list[OscOutputSpec], may_keep: Callable[[str], bool]) -> None:
        """`may_keep(participant)`: their `record` consent now (heartbeats go out only then)."""
        self.may_keep = may_keep
        self.outputs: list[_Output] = []
        for i, spec in enumerate(specs):
            names = None
            if spec.features is not None:
                names = tuple(f.removeprefix("collective.") for f in spec.features)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setblocking(False)  # a full send buffer drops this update, never waits
            label = spec.name or f"outputs[{i}]"
            out = _Output(spec, label, names, sock)
            out.resolve(0.0)  # before the show: a slow look-up never stalls it
            self.outputs.append(out)

    def send(self, frame: RoomFrame) -> None:
        """This update's messages to every output."""
        events: list[Message] | None = None
        for out in self.outputs:
            messages = feature_messages(frame, out.names)
            if out.spec.events:
                if events is None:
                    events = event_messages(frame, self.may_keep)
                messages = messages + events
            where = out.resolve(frame.time) if messages else None
            if where is None:
                continue
            for dgram in _datagrams(messages, out.spec.bundle):
                try:
                    out.sock.sendto(dgram, where)
                    out.sent += 1
                except OSError as exc:  # unreachable, refused, buffer full: skip this update
                    out.warn(type(exc).__name__, f"send failed ({exc}); the show goes on")
                    break

    def close(self) -> None:
        for out in self.outputs:
            out.sock.close()
