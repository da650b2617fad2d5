"""The player's web servers: the operator's HTTP (`--http`) and the visitors' page (`--audience`).

Each server is a child process of its own (`sanctuary.web`; a flood or a
crash there never touches the sound), supervised by the player (not by a
stage: they outlive reloads). The control process talks to them through
three lock-free channels:

- `moods` (web -> control): a visitor's `Mood` or `Leave`, drained by the
  room like any other (`LiveControl.inbox`);
- `commands` (operator -> control): `SetScene`, `SetLevel`, `Pause`,
  `Panic`, applied here between control frames;
- `status` (control -> web): the newest snapshot (`snapshot`), a few
  times a second, which `/health`, `/status` and `/collective` answer from.

The control token comes from $SYMPHONY_CONTROL_TOKEN (never the command
line, which `ps` shows); the allow-list from `--allow`.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any

from symphony.live.supervisor import Supervisor

STATUS_EVERY = 0.25  # s between status snapshots
PAUSE_DB = -60.0


@dataclass
class WebServers:
    moods: Any
    commands: Any
    status: Any
    processes: list[Any] = field(default_factory=list)
    supervisor: Supervisor = field(default_factory=Supervisor)
    due: float = 0.0
    paused: bool = False

    def ask_stop(self) -> None:
        """Ask every server to end (they end with the stage's children; see `finish`)."""
        for process in self.processes:
            process.child.ask_stop()

    def finish(self, until: float) -> None:
        """Wait for them until `until` (monotonic), then kill what is left by PID."""
        for process in self.processes:
            process.child.finish(until)


def start_web(player: Any) -> None:
    """Start `--http` (and `--audience`, when given) for `player` (commands.play.Player),
    in the background: the show plays while they boot, and a server that cannot
    start (a port in use) is one log line, never the end of the show."""
    import threading

    thread = threading.Thread(target=_start_web, args=(player,), name="start-web", daemon=True)
    thread.start()


def _start_web(player: Any) -> None:
    import multiprocessing as mp

    from symphony.child import Mailbox
    from symphony.engine.lanes import MessageLane
    from symphony.sanctuary.web import (
        AudienceConfig,
        AudienceProcess,
        OperatorConfig,
        OperatorProcess,
    )

    ctx = mp.get_context("spawn")
    servers = WebServers(MessageLane(ctx), MessageLane(ctx), Mailbox(ctx))
    host, port = player.args.http
    token = os.environ.get("SYMPHONY_CONTROL_TOKEN") or None
    allow = tuple(player.args.allow) or ("127.0.0.1/32", "::1/128")
    try:
        operator = OperatorProcess(
            OperatorConfig(host, port, allow=allow, token=token), servers.commands, servers.status
        )
        servers.processes.append(operator)
        operator.start(timeout=20.0)
        player.say("web", f"operator HTTP on {host}:{port}", host=host, port=port)
        if player.args.audience is not None:
            a_host, a_port = player.args.audience
            audience = AudienceProcess(
                AudienceConfig(host=a_host, port=a_port), servers.moods, servers.status
            )
            servers.processes.append(audience)
            audience.start(timeout=20.0)
            player.say("web", f"visitors' page: {audience.url()}", url=audience.url())
    except Exception as exc:  # a port in use, a bad address: said once, the show plays on
        player.say("web_failed", f"web server not started: {exc}", warning=True)
        servers.ask_stop()
        servers.processes = [p for p in servers.processes if p.alive()]
        if not servers.processes:
            return
    for process in servers.processes:
        servers.supervisor.watch(process)
    player.web = servers  # from here on the control loop ticks them (one assignment)


def attach(player: Any) -> None:
    """Give the current stage's room the visitors' moods (again after a reload)."""
    servers: WebServers | None = getattr(player, "web", None)
    if servers is not None and player.stage is not None:
        from symphony.collective.intake import RoomInbox

        player.stage.control.inbox = RoomInbox(servers.moods)


def tick(player: Any) -> None:
    """Between control frames: supervise the servers, apply commands, publish status."""
    servers: WebServers | None = getattr(player, "web", None)
    now = time.monotonic()
    if servers is None or now < servers.due:
        return
    servers.due = now + STATUS_EVERY
    stage = player.stage
    if stage is not None and getattr(stage.control, "inbox", None) is None:
        attach(player)
    for restart in servers.supervisor.poll():
        player.say("restart", f"the {restart.name} process {restart.why}; starting it again")
    _commands(player, servers)
    with contextlib.suppress(queue.Full):  # a snapshot too big for the box: the next one
        servers.status.put_nowait(snapshot(player, servers))


def _commands(player: Any, servers: WebServers) -> None:
    from symphony.live.midi_router import Command
    from symphony.sanctuary.web import Panic, Pause, SetLevel, SetScene

    stage = player.stage
    for _ in range(64):
        try:
            command = servers.commands.get_nowait()
        except queue.Empty:
            return
        if stage is None:
            continue
        clock = stage.clock()
        if isinstance(command, SetScene) and command.name in stage.spec.scenes:
            stage.call_scene(command.name, stage.scene_fade(command.name), clock)
        elif isinstance(command, SetLevel):
            stage.control.apply_command(Command("master", value=float(command.db)), clock)
        elif isinstance(command, Pause):
            servers.paused = bool(command.paused)
            stage.paused = servers.paused
        elif isinstance(command, Panic):
            stage.control.apply_command(Command("panic"), clock)
        player.say("control", f"operator: {type(command).__name__}", command=repr(command))


def snapshot(player: Any, servers: WebServers) -> dict[str, Any]:
    """The status the web servers answer from (counts and levels only, never a person)."""
    health = player.health()
    stage = player.stage
    counts = health.get("participants", {}) or {}
    collective: dict[str, Any] = {}
    if stage is not None and stage.control.frame is not None:
        from symphony.collective.names import COLLECTIVE_FEATURES

        for name, value in stage.control.frame.values.items():
            info = COLLECTIVE_FEATURES.get(name)
            if info is not None and math.isfinite(value):
                collective[name] = {"value": float(value), "unit": info.unit}
    return {
        "uptime": health.get("uptime"),
        "scene": health.get("scene"),
        "next_scene": health.get("next_scene"),
        "scenes": sorted(stage.spec.scenes) if stage is not None else [],
        "paused": servers.paused,
        "safe_mode": health.get("safe_mode", False),
        "crash_loop": stage is not None and stage.supervisor.crash_loop,
        "people": {
            "heard": counts.get("heard", 0),
            "fading": counts.get("fading in", 0) + counts.get("fading out", 0),
            "gated": counts.get("gated", 0),
            "total": sum(counts.values()),
        },
        "levels": {
            "peak_dbfs": _db(health.get("peak", 0.0)),
            "lufs": _finite(health.get("lufs")),
            "master_db": _finite(health.get("master_cap_db")),
            "laeq_db": _finite(health.get("laeq")),
            "spl_db_a": _finite(health.get("spl")),
        },
        "jack": health.get("jack", "n/a"),
        "last_block_age": _finite(health.get("last_block_age"), 1e9),
        "restarts": health.get("restarts", 0),
        "errors": [e for e in [health.get("last_error")] if e],
        "collective": collective,
    }


def _db(amplitude: Any) -> float | None:
    a = float(amplitude or 0.0)
    return 20.0 * math.log10(a) if a > 0.0 else None


def _finite(value: Any, default: float | None = None) -> float | None:
    if value is None:
        return default
    v = float(value)
    return v if math.isfinite(v) else default


def ask_stop_web(player: Any) -> None:
    servers: WebServers | None = getattr(player, "web", None)
    if servers is not None:
        servers.ask_stop()


def finish_web(player: Any, until: float) -> None:
    servers: WebServers | None = getattr(player, "web", None)
    if servers is not None:
        servers.finish(until)
