"""`symphony patches`: what each patch offers, for writing performance files."""

from __future__ import annotations

import argparse

from symphony.engine.patch import load_patch
from symphony.errors import SymphonyError
from symphony.performance.loader import PACKAGE_ROOT


def run_patches(args: argparse.Namespace) -> int:
    folder = args.folder or PACKAGE_ROOT / "patches"
    files = sorted(folder.glob("*.py"))
    if not files:
        raise SymphonyError("no patch files found", where=folder, expected="*.py patch files")
    for path in files:
        if path.name.startswith("_"):
            continue
        patch = load_patch(path)
        summary = patch.doc.splitlines()[0] if patch.doc else ""
        print(f"{patch.name}: {summary}")
        for p in patch.params:
            unit = f" {p.unit}" if p.unit else ""
            print(
                f"  {p.name:<14} {p.low:g}..{p.high:g}{unit}, default {p.default:g}, "
                f"{p.curve}, smoothing {p.smoothing:g} s  {p.doc}"
            )
        for e in patch.events:
            print(f"  event {e.name:<8} {e.doc}")
        for f in patch.voice_families:
            print(f"  voices {f.name:<7} {f.doc} (per person: level, seat)")
            for p in f.params:
                unit = f" {p.unit}" if p.unit else ""
                print(
                    f"    {p.name:<12} {p.low:g}..{p.high:g}{unit}, default {p.default:g}  {p.doc}"
                )
    return 0
