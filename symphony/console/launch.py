"""Wiring the console to a running show (what `symphony live` calls)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from symphony.console.app import Console, learned_profile_path
from symphony.console.learning import ConsoleLearn
from symphony.console.system import XrunCounter
from symphony.console.view import Gauges

log = logging.getLogger(__name__)


def gauges_for(engine: Any, midi: Any, audio: str, period_frames: int, rate: int) -> Gauges:
    """The show's health sources; xruns only when the audio is JACK."""
    xruns = None
    period_ms = 1000.0 * period_frames / rate
    if audio == "jack":
        try:
            xruns = XrunCounter()
            period_ms = xruns.period_ms
        except Exception as exc:  # no xrun count is no reason to stop the show
            log.warning("xrun count unavailable: %s", exc)
    return Gauges(
        engine_pid=engine.process.pid,
        midi_pid=None if midi is None else midi.process.pid,
        levels=getattr(engine, "levels", None),
        xruns=xruns,
        midi_timing=None if midi is None else midi.learn.timing,
        period_ms=period_ms,
    )


def console_learn(midi: Any, profile_path: Path | None, session: Path) -> ConsoleLearn | None:
    if midi is None or profile_path is None:
        return None
    from symphony.midi.profiles import load_profile

    profile = load_profile(profile_path)
    return ConsoleLearn(
        midi.learn,
        list(profile.spec.controls),
        profile.spec.controller.port,
        profile.spec.controller.name,
        learned_profile_path(session),
    )


def start_console(
    control: Any,
    engine: Any,
    midi: Any,
    profile_path: Path | None,
    audio: str,
    period_frames: int,
    duration: float,
    session: Path,
) -> Console:
    spec = control.spec
    gauges = gauges_for(engine, midi, audio, period_frames, spec.output.sample_rate)
    console = Console(
        control,
        spec.performance.title,
        duration,
        gauges,
        console_learn(midi, profile_path, session),
    )
    console.start()
    return console


def stop_console(console: Console) -> None:
    console.stop()
    if console.gauges.xruns is not None:
        console.gauges.xruns.close()
    if console.failed:
        log.warning("the console failed during the show: %s", console.failed)
