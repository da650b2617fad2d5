"""`symphony render`: plan, render, report, plot."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symphony.analysis.meters import format_report
from symphony.engine.offline import check_output_path
from symphony.errors import SymphonyError
from symphony.performance.loader import Performance, load_performance
from symphony.performance.render import plot_render, render_performance
from symphony.progress import ProgressBar


def run_render(args: argparse.Namespace) -> int:
    performance = load_performance(args.performance)
    check_output_path(args.output)
    if args.plot is not None:
        check_plot_path(args.plot)
    if args.session is not None:
        return _rerender(args, performance)
    spec = performance.spec
    duration = args.duration or spec.performance.duration
    block = spec.output.block_size / spec.output.sample_rate
    if duration < block:
        raise SymphonyError(
            f"a render of {duration:g} s is shorter than one audio block",
            where="--duration",
            expected=f"at least {block:.4f} s ({spec.output.block_size} samples)",
        )
    bar = None if args.quiet else ProgressBar("rendering", duration)
    result = render_performance(
        performance,
        args.output,
        duration=args.duration,
        seed=args.seed,
        participants=args.participants,
        progress=bar,
    )
    print(f"{spec.performance.title}: {args.output}")
    print(format_report(result.report))
    print(result.plan.equity.summary())
    for line in result.plan.equity.details():
        print(line)
    if result.stats.rejected_values:
        print(f"non-finite control values replaced: {result.stats.rejected_values}")
    if result.plan.faults:
        print(f"simulated sensor faults: {len(result.plan.faults)} (see --plot)")
    if args.plot is not None:
        plot_render(result, args.plot, spec.performance.title)
        print(f"plot: {args.plot}")
    sys.stdout.flush()
    return 0


def check_plot_path(path: Path) -> None:
    """Fail before rendering, not after, when the plot cannot be written there."""
    if path.is_dir():
        raise SymphonyError("the plot is a folder", where=path, expected="a .png file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SymphonyError(f"cannot create the plot's folder: {exc}", where=path) from None


def _rerender(args: argparse.Namespace, performance: Performance) -> int:
    """`render --session LOG`: the live show again, block for block."""
    from symphony.performance.render import render_session
    from symphony.session.log import read_session

    session = read_session(args.session)
    total = args.duration or session.duration
    for block, gap in session.rebuilds:
        at = block * session.header.block_size / session.header.sample_rate
        print(
            f"note: the live engine was rebuilt at {at:.1f} s (block {block}) after {gap:.1f} s "
            "without audio; this render plays straight through: same control values at the "
            "same blocks, but not the live sound sample for sample after that point",
            file=sys.stderr,
        )
    bar = None if args.quiet else ProgressBar("re-rendering", total)
    result = render_session(
        performance, args.session, args.output, duration=args.duration, progress=bar
    )
    print(f"{performance.spec.performance.title}, session {args.session}: {args.output}")
    print(format_report(result.report))
    return 0
