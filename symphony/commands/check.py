"""`symphony check`: validate a performance file without rendering it."""

from __future__ import annotations

import argparse

from symphony.performance.loader import load_performance
from symphony.performance.timecode import format_time


def run_check(args: argparse.Namespace) -> int:
    performance = load_performance(args.performance)
    spec = performance.spec
    print(
        f"{args.performance}: ok: '{spec.performance.title}', "
        f"{format_time(spec.performance.duration)}, {len(spec.layers)} layers, "
        f"{len(spec.mappings)} mappings, {len(spec.scenes)} scenes, "
        f"{len(spec.timeline)} cues, {spec.output.channels} channels at "
        f"{spec.output.sample_rate} Hz, ceiling {spec.output.ceiling_dbtp:g} dBTP"
    )
    return 0
