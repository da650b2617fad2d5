"""Settings of the two web servers, checked before anything binds.

The visitors' page and the operator's control are separate servers with
separate settings: a visitor's device token never opens the operator's
door. Everything binds to 127.0.0.1 unless configured; exposing operator
control on the LAN takes both a CIDR allow-list and a control token of at
least 128 bits, so a sanctuary's network never gets an open control port by
accident.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass

from symphony.errors import SymphonyError

LOOPBACK_ALLOW = ("127.0.0.0/8", "::1/128")
MIN_TOKEN_CHARS = 22  # urlsafe base64: 22 characters carry 132 bits


class WebConfigError(SymphonyError):
    """A web setting that cannot work: the message names the option or key."""


@dataclass(frozen=True)
class AudienceConfig:
    """The visitors' page: where it listens and the limits that keep a flood harmless."""

    host: str = "127.0.0.1"
    port: int = 8080
    max_clients: int = 2000  # open WebSockets in all
    sockets_per_address: int = 4
    devices_per_address: int = 4  # device tokens issued to one address (one voice each)
    messages_per_second: float = 10.0
    burst: int = 20
    max_message_bytes: int = 4096
    heartbeat: float = 10.0  # s between pings; no pong within half of it drops the socket
    picture_every: float = 1.0  # s between pictures of the room's mood sent to each page
    device_idle: float = 600.0  # s: an unused device token is forgotten (as its mood is)
    public_url: str | None = None  # what to print and encode in the QR code

    def check(self) -> AudienceConfig:
        _check_port(self.port, "audience port")
        for key in ("max_clients", "sockets_per_address", "devices_per_address", "burst"):
            if getattr(self, key) < 1:
                raise WebConfigError(f"audience {key} must be at least 1")
        if not 0 < self.messages_per_second <= 1000:
            raise WebConfigError("audience messages_per_second must be in (0, 1000]")
        if not 64 <= self.max_message_bytes <= 65536:
            raise WebConfigError("audience max_message_bytes must be 64 to 65536")
        if self.heartbeat <= 0 or self.picture_every <= 0 or self.device_idle <= 0:
            raise WebConfigError("audience heartbeat, picture_every, device_idle must be > 0")
        return self


@dataclass(frozen=True)
class OperatorConfig:
    """Operator HTTP: health, status, collective, and control (scene, level, pause, panic)."""

    host: str = "127.0.0.1"
    port: int = 8765
    allow: tuple[str, ...] = LOOPBACK_ALLOW  # CIDR networks that may connect at all
    token: str | None = None  # control token; required for control when set
    block_age_limit: float = 1.0  # s without an audio block before /health says 503

    def check(self) -> OperatorConfig:
        _check_port(self.port, "http port")
        networks = allow_networks(self.allow)
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise WebConfigError(
                f"http token must have at least {MIN_TOKEN_CHARS} characters (128 bits);"
                " make one with symphony.sanctuary.web.make_control_token()"
            )
        if not is_loopback(self.host):
            if not networks:
                raise WebConfigError(f"http host {self.host} is not loopback: set an allow list")
            if self.token is None:
                raise WebConfigError(f"http host {self.host} is not loopback: set a control token")
        elif self.token is None and any(not n.is_loopback for n in networks):
            raise WebConfigError("http allow list names non-loopback networks: set a token")
        if self.block_age_limit <= 0:
            raise WebConfigError("http block_age_limit must be > 0")
        return self


def allow_networks(allow: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The allow list as networks; a bad entry is named."""
    out = []
    for entry in allow:
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise WebConfigError(
                f"http allow entry {entry!r} is not a CIDR network: {exc}"
            ) from None
    return out


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_control_token() -> str:
    """A fresh operator control token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def parse_address(text: str, option: str = "--http") -> tuple[str, int]:
    """'HOST:PORT' (or '[v6]:PORT') as (host, port); a bad value names the option."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit():
        raise WebConfigError(f"{option} {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8765")
    port = int(port_text)
    _check_port(port, option)
    return host, port


def _check_port(port: int, what: str) -> None:
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise WebConfigError(f"{what} {port!r} must be 0 to 65535 (0: any free port)")
