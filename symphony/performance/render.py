"""Render a performance to an audio file: plan the control, run the engine, measure."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from symphony.analysis.meters import RenderReport, measure_file
from symphony.collective.room_adapter import voice_schedule
from symphony.engine.offline import RenderStats, render_offline
from symphony.mapping.schedule import Schedule
from symphony.performance.loader import Performance
from symphony.performance.plan import ControlPlan, plan_control


@dataclass
class RenderResult:
    plan: ControlPlan
    stats: RenderStats
    report: RenderReport
    plan_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.plan_seconds + self.stats.wall_seconds


def render_performance(
    performance: Performance,
    out_path: Path,
    duration: float | None = None,
    seed: int | None = None,
    participants: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> RenderResult:
    started = time.perf_counter()
    plan = plan_control(performance, duration=duration, seed=seed, participants=participants)
    # Every person's own voice. Until the room stage hands `RoomVoices` its
    # presences itself, the adapter builds them from the plan's tracks.
    voices = voice_schedule(performance.spec, plan.layout, plan.tracks, plan.times)
    plan.schedule = Schedule.merge([plan.schedule, voices])
    plan_seconds = time.perf_counter() - started
    stats = render_offline(
        performance.spec,
        performance.patches,
        plan.layout,
        plan.initial,
        plan.schedule,
        out_path,
        plan.duration,
        plan.seed,
        progress=progress,
    )
    report = measure_file(out_path)
    total = plan_seconds + stats.wall_seconds
    report = dataclasses.replace(report, speed_x=plan.duration / total if total > 0 else None)
    return RenderResult(plan=plan, stats=stats, report=report, plan_seconds=plan_seconds)


def plot_render(result: RenderResult, png: Path, title: str) -> None:
    """Draw the performance: participants, collective, automation, scenes."""
    from symphony.analysis.plot import plot_performance

    plan = result.plan
    participant_features = {t.participant: dict(t.values) for t in plan.tracks}
    times_by_participant = {t.participant: t.times() for t in plan.tracks}
    automation = {
        name: values
        for name, values in plan.automation.items()
        if values.size and float(values.max() - values.min()) > 0.0
    }
    # The synchronies, the room's state and its presence tell the story; the
    # medians of the other features are already bold in their own panels.
    shown = ("breath_sync", "heart_sync", "arousal", "relaxation", "presence")
    collective = {k: plan.collective[k] for k in shown if k in plan.collective}
    plot_performance(
        png,
        times_by_participant=times_by_participant,
        participant_features=participant_features,
        collective_times=plan.times,
        collective_features=collective,
        automation_times=plan.times,
        automation=automation,
        scenes=plan.scenes,
        title=title,
    )


@dataclass
class SessionRenderResult:
    stats: RenderStats
    report: RenderReport


def render_session(
    performance: Performance,
    session_path: Path,
    out_path: Path,
    duration: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> SessionRenderResult:
    """Re-render a live show from its session log: the same changes at the same blocks."""
    from symphony.errors import SymphonyError
    from symphony.mapping.layout import ControlLayout
    from symphony.session.log import performance_hash, read_session

    session = read_session(session_path)
    header = session.header
    spec = performance.spec
    layout = ControlLayout(spec, performance.patches)
    names = [t.name for t in layout.targets]
    if names != header.targets:
        raise SymphonyError(
            "the session was recorded with another control layout (patches or performance "
            "changed since)",
            where=session_path,
            expected=f"the performance as it was: {header.performance}",
        )
    if performance_hash(performance.path) != header.performance_hash:
        import logging

        logging.getLogger(__name__).warning(
            "%s changed since the session was recorded; its layout still matches", performance.path
        )
    output = spec.output.model_copy(update={"block_size": header.block_size})
    spec = spec.model_copy(update={"output": output})
    length = duration if duration is not None else session.duration
    if length <= 0:
        raise SymphonyError("the session log holds no played blocks", where=session_path)
    stats = render_offline(
        spec,
        performance.patches,
        layout,
        layout.initial_values(spec, spec.output),
        session.schedule,
        out_path,
        length,
        header.seed,
        progress=progress,
    )
    report = dataclasses.replace(measure_file(out_path), speed_x=stats.speed)
    return SessionRenderResult(stats=stats, report=report)
