"""The web servers as child processes of the show, each on its own.

A visitors' flood or a crash of a web server must never touch the sound,
so each server runs in a process of its own, started and stopped by the
rules of `symphony.child` (no shared lock, stop with a deadline, kill by
PID, dies with its parent). Both classes are `live.supervisor.Supervised`,
so the play command's supervisor restarts a dead or hung one while the
engine plays on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import queue
from collections.abc import Callable
from typing import Any

from aiohttp import web

from symphony.child import ChildFlags, ChildProcess, die_with_parent, orphaned
from symphony.engine.lanes import MessageLane
from symphony.errors import SymphonyError
from symphony.sanctuary.web.audience import Audience
from symphony.sanctuary.web.config import AudienceConfig, OperatorConfig
from symphony.sanctuary.web.operator import Operator
from symphony.sanctuary.web.serve import print_address, serve_until, visitors_url
from symphony.sanctuary.web.status import StatusFeed

HUNG_AFTER = 5.0  # s without a heartbeat from a serving child


COUNTS = ("sockets", "devices", "dropped", "pending_leaves")  # the audience's counts


def run_audience(
    config: AudienceConfig,
    moods: Any,
    status: Any,
    parent: int,
    flags: Any,
    bound: Any,
    errors: MessageLane,
    counts: Any,
) -> None:
    """The visitors' page child: serve until asked to stop, publishing its counts."""
    audience = Audience(config, moods, StatusFeed(status))

    def publish() -> None:
        values = (
            audience.sockets.open_count(),
            len(audience.devices.tokens),
            audience.dropped,
            len(audience.pending),
        )
        for i, value in enumerate(values):
            counts[i] = float(value)

    child = (parent, flags, bound, errors)
    _run_child("web-audience", audience.app, config.host, config.port, *child, publish)


def run_operator(
    config: OperatorConfig,
    commands: Any,
    status: Any,
    parent: int,
    flags: Any,
    bound: Any,
    errors: MessageLane,
    _counts: Any,
) -> None:
    """The operator's HTTP child: serve until asked to stop."""
    operator = Operator(config, commands, StatusFeed(status))
    child = (parent, flags, bound, errors)
    _run_child("web-operator", operator.app, config.host, config.port, *child, None)


def _run_child(
    name: str,
    make_app: Callable[[], web.Application],
    host: str,
    port: int,
    parent: int,
    flags_array: Any,
    bound: Any,
    errors: MessageLane,
    publish: Callable[[], None] | None,
) -> None:
    die_with_parent(parent, name)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    flags = ChildFlags(flags_array)

    def ready(port_bound: int) -> None:
        bound.value = port_bound
        flags.ready()

    def stopping() -> bool:
        return flags.stopping() or orphaned(parent)

    def beat() -> None:
        flags.beat()
        if publish is not None:
            publish()

    try:
        asyncio.run(serve_until(make_app(), host, port, stopping, beat, ready))
    except SymphonyError as exc:
        errors.put(f"{name}: {exc}")
        raise SystemExit(1) from None
    except Exception as exc:  # a crash is reported in one line, then the supervisor acts
        errors.put(f"{name}: crashed: {type(exc).__name__}: {exc}")
        raise SystemExit(1) from None


class _WebProcess:
    """One web server child: start, restart, stop, and what the supervisor asks."""

    name = "web"

    def __init__(self, target: Callable[..., None], config: Any, *channels: Any) -> None:
        ctx = mp.get_context("spawn")
        self.config = config.check()
        self.target = target
        self.channels = channels
        self.errors = MessageLane(ctx)
        self.bound: Any = ctx.Value("i", 0, lock=False)
        self.tallies: Any = ctx.Array("d", len(COUNTS), lock=False)
        self.child = ChildProcess(self.name, ctx, self._job)

    def _job(self) -> tuple[Any, tuple[Any, ...]]:
        args = (
            self.config,
            *self.channels,
            os.getpid(),
            self.child.flags,
            self.bound,
            self.errors,
            self.tallies,
        )
        return self.target, args

    @property
    def port(self) -> int:
        """The port bound (the configured one, or the one chosen for port 0)."""
        return int(self.bound.value) or int(self.config.port)

    def start(self, timeout: float = 10.0) -> None:
        """Start and wait until it serves; a failure raises SymphonyError with its reason."""
        self.child.spawn()
        if not self.child.wait_ready(timeout):
            reason = self.failure() or f"the {self.name} server did not start in {timeout:g} s"
            self.stop()
            raise SymphonyError(reason)

    def restart(self) -> None:
        if self.child.alive():
            self.child.kill()
        self.child.spawn()

    def alive(self) -> bool:
        return self.child.alive()

    def ready(self) -> bool:
        return self.child.ready()

    def hung(self) -> bool:
        return self.child.ready() and self.child.beat_age() > HUNG_AFTER

    def failure(self) -> str | None:
        try:
            return str(self.errors.get_nowait())
        except queue.Empty:
            return None

    @property
    def exitcode(self) -> int | None:
        return self.child.exitcode

    @property
    def pid(self) -> int | None:
        return self.child.pid

    def stop(self, timeout: float = 1.0) -> None:
        """Ask it to end; kill it by PID after `timeout` seconds."""
        self.child.stop(timeout)


class AudienceProcess(_WebProcess):
    """The visitors' page in its own process: Mood/Leave onto `moods`, pictures from `status`."""

    name = "audience"

    def __init__(self, config: AudienceConfig, moods: Any, status: Any) -> None:
        super().__init__(run_audience, config, moods, status)

    def counts(self) -> dict[str, int]:
        """Open sockets, device tokens held, moods dropped (queue full), Leaves waiting.

        Written by the child with its heartbeat (5 times a second), lock-free:
        for /health and the logs, never per person.
        """
        return {name: int(self.tallies[i]) for i, name in enumerate(COUNTS)}

    def url(self) -> str:
        return visitors_url(self.config.host, self.port, self.config.public_url)

    def start(self, timeout: float = 10.0, announce: bool = True) -> None:
        """Start; with `announce`, print the address and its QR code."""
        super().start(timeout)
        if announce:
            print_address(self.url())


class OperatorProcess(_WebProcess):
    """Operator HTTP in its own process: commands onto `commands`, health from `status`."""

    name = "operator"

    def __init__(self, config: OperatorConfig, commands: Any, status: Any) -> None:
        super().__init__(run_operator, config, commands, status)
