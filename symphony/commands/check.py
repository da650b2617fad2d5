"""`symphony check`: validate a performance file without rendering it."""

from __future__ import annotations

import argparse

from symphony.performance.loader import load_performance
from symphony.performance.sources import LIVE_ONLY
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
    for source in spec.sources:
        everyone, recorded, silent = source.consent_summary()
        if everyone:
            kept = "data kept (record consent)"
        elif recorded:
            kept = f"data kept for: {', '.join(recorded)}"
        else:
            kept = "nothing kept (no record consent)"
        if silent:
            kept += f"; not shaping the sound (no sound consent): {', '.join(silent)}"
        live = "; live only (render needs a recording of it, or --participants N)"
        note = live if source.kind in LIVE_ONLY else ""
        print(f"  source '{source.name}' ({source.kind}): ok; {kept}{note}")
    if not spec.sources:
        print(f"  {spec.participants.count} simulated participants (no [[sources]])")
    return 0
