"""`symphony play`: the sanctuary player, unattended for days.

No terminal and no controller needed (one still works). The show is a
`sanctuary.stage.Stage` (the live command's engine, control and MIDI
processes, supervised) following the performance's daily programme.

Signals, the service's whole interface with systemd:

- **SIGTERM / SIGINT**: fade out (`FADE_OUT_SECONDS`), stop every child with
  a deadline, exit 0: always within `STOP_SECONDS` (3 s); faulthandler's
  timer, which needs no Python thread, ends the process should anything
  still block.
- **SIGHUP**: validate the performance file again; a good one replaces the
  show (fade out, stop, start, fade in); a bad one keeps the old show
  playing and logs one line naming the file, line and key.

systemd's watchdog is fed only while the engine's audio blocks advance
(`sanctuary.notify`). The operator's HTTP (`--http`) and the visitors' page
(`--audience`) run in their own processes (`sanctuary.web`, when present):
`start_web` is the hook.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import math
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

from symphony.child import STOP_SECONDS, exit_now, kill_children
from symphony.engine.realtime import RealtimeOptions
from symphony.errors import SymphonyError
from symphony.performance.loader import load_performance
from symphony.sanctuary import hooks
from symphony.sanctuary.logs import event, setup_logs
from symphony.sanctuary.notify import Notifier, Watchdog
from symphony.sanctuary.stage import Stage, StageOptions

STATUS_SECONDS = 60.0  # a status line (JSON) this often
# For the children to end before they are killed: with the fade-out, well inside STOP_SECONDS.
CHILDREN_SECONDS = 0.9


class Player:
    """The loop around the current stage: signals, reloads, watchdog, status."""

    def __init__(self, args: argparse.Namespace, logger: logging.Logger) -> None:
        self.args = args
        self.log = logger
        self.path: Path = args.performance
        self.options = StageOptions(
            audio=RealtimeOptions(
                audio=args.audio,
                device=args.device,
                client_name="symphony",
                buffer=args.buffer,
                wait_for_audio=True,
                connect=tuple(args.connect),
            ),
            controller=args.controller,
            midi_api=args.midi_api,
            participants=args.participants,
            day_speed=args.day_speed,
            day_start=args.day_start,
        )
        self.stopping = False
        self.signalled = math.nan
        self.reload = False
        self.stage: Stage | None = None
        self.watchdog = Watchdog(Notifier(), self._advancing)
        self.born = time.monotonic()

    def say(self, name: str, text: str, warning: bool = False, **fields: Any) -> None:
        event(self.log, name, text, logging.WARNING if warning else logging.INFO, **fields)

    def _advancing(self, within: float) -> bool:
        return self.stage is not None and self.stage.engine.clock.advancing(within)

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reload = True
            return
        if not self.stopping:
            self.signalled = time.monotonic()
            # The backstop: whatever blocks the way out, the process ends in time.
            faulthandler.dump_traceback_later(STOP_SECONDS - 0.2, exit=True)
        self.stopping = True

    def start(self) -> None:
        performance = load_performance(self.path)
        self.stage = Stage(performance, self.options, self.say)
        title = performance.spec.performance.title
        self.say("start", f"playing {title} ({performance.path})", title=title)
        hooks.start_web(self)

    def run(self) -> int:
        last_status = time.monotonic()
        while not self.stopping:
            stage = self.stage
            if stage is None:
                break
            stage.control.run(until=stage.clock() + 1.0, stop=self._frame)
            if self.reload and not self.stopping:
                self.reload = False
                self._reload()
            if time.monotonic() - last_status >= STATUS_SECONDS:
                last_status = time.monotonic()
                self.say("status", "status", **self.health())
        self._stop()
        return 0

    def _frame(self) -> bool:
        stage = self.stage
        assert stage is not None
        stage.step()
        self.watchdog.tick()
        hooks.tick(self)
        return self.stopping or self.reload

    def _reload(self) -> None:
        self.watchdog.reloading(False)
        try:
            performance = load_performance(self.path)
        except SymphonyError as exc:
            self.say("reload_failed", f"reload refused, the old show plays on: {exc}", True)
            self.watchdog.reloading(True)
            return
        old = self.stage
        assert old is not None
        self._fade_out(old)
        old.stop(CHILDREN_SECONDS)
        self.stage = None
        self.stage = self._new_stage(performance)
        if self.stage is None:  # stopped while the new show could not start
            return
        self.say("reloaded", f"reloaded {performance.path}", path=str(performance.path))
        self.watchdog.reloading(True)

    def _new_stage(self, performance: Any) -> Stage | None:
        """A new stage, tried again every few seconds until it starts (or the player
        is stopped): a reload must never end the player."""
        delay = 1.0
        while not self.stopping:
            try:
                return Stage(performance, self.options, self.say)
            except Exception as exc:
                # (a failed start has already stopped its own engine)
                self.say("start_failed", f"the show did not start: {exc}; retrying", True)
            time.sleep(delay)
            delay = min(10.0, delay * 2)
        return None

    def _fade_out(self, stage: Stage) -> None:
        """The fade-out, while the control loop goes on sending the master down."""
        stage.fade_out()

        def done() -> bool:
            stage.step()
            return stage.faded_out()

        stage.control.run(until=None, stop=done)

    def _stop(self) -> None:
        began = time.monotonic()
        self.watchdog.stopping()
        stage = self.stage
        if stage is not None:
            self._fade_out(stage)
        faded = time.monotonic()
        hooks.ask_stop_web(self)  # the servers end alongside the stage's children
        if stage is not None:
            stage.stop(CHILDREN_SECONDS)
        hooks.finish_web(self, faded + CHILDREN_SECONDS)
        kill_children()
        end = time.monotonic()
        self.say(
            "stopped",
            f"stopped {end - self.signalled:.2f} s after the signal",
            waited=began - self.signalled,
            fade=faded - began,
            children=end - faded,
        )

    def health(self) -> dict[str, Any]:
        data: dict[str, Any] = {"advancing": False}
        if self.stage is not None:
            data = self.stage.health()
        data["uptime"] = time.monotonic() - self.born
        return data


def run_play(args: argparse.Namespace) -> int:
    logger = setup_logs(args.log)
    player = Player(args, logger)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, player.on_signal)
    from symphony.live.priority import shield_threads

    shield_threads()
    try:
        player.start()
    except SymphonyError as exc:
        player.say("failed", str(exc), True)
        raise
    exit_now(player.run())  # every child has ended or been killed (child.exit_now)
    return 0
