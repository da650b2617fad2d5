"""How fast an OSC withdrawal acts in a live control loop (issue 10: within 1 s).

A real `OscSource` on loopback feeds a real `LiveControl` stepping at the
performance's control rate on the wall clock, with a real `SignalRecorder`
keeping the raw PPG of people who consented (and `Keeping` tied to the
consent book, as `symphony live` wires it; no engine). For each trial a new
person sends PPG until their raw file exists, then `/symphony/<id>/consent
0 0` is sent; the table gives the time from the send until (a) the consent
book says no and (b) their raw signal file is gone, against the control
period measured in the same run (the least any step-driven loop can do).

Usage: python benchmarks/consent_withdrawal.py [--trials 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pythonosc.udp_client import SimpleUDPClient  # noqa: E402

from symphony.inputs.sources.osc_source import OscSource, OscSpec  # noqa: E402
from symphony.live.control import LiveControl  # noqa: E402
from symphony.performance.loader import load_performance  # noqa: E402
from symphony.session.keeping import Keeping  # noqa: E402
from symphony.session.signals import SignalRecorder  # noqa: E402

MINI = ROOT / "tests" / "fixtures" / "performances" / "mini.toml"


def _performance(folder: Path, people: list[str]) -> Path:
    grants = ", ".join(f"{p} = true" for p in people)
    text = MINI.read_text().replace('patch = "../', f'patch = "{MINI.parents[1]}/')
    text += f'\n[[sources]]\nname = "phones"\nkind = "osc"\nport = 0\nconsent = {{ {grants} }}\n'
    path = folder / "show.toml"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    people = [f"v{i:03d}" for i in range(args.trials)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        perf = load_performance(_performance(folder, people))
        started = time.monotonic()

        def clock() -> float:
            return time.monotonic() - started

        source = OscSource(OscSpec(name="phones", port=0), clock=clock)
        source.open()
        control = LiveControl(perf, [source], lambda *a: True, clock)
        recorder = SignalRecorder(folder / "show.signals", lambda s, p: control.book.get(p).record)
        control.recorder = recorder
        Keeping().attach(control.book, None, recorder)
        client = SimpleUDPClient("127.0.0.1", source.port)
        period = 1.0 / control.rate
        book_ms, file_ms, steps = [], [], []
        try:
            for who in people:
                raw = folder / "show.signals" / f"{who}-ppg.csv"
                control.book.set(who, record=True)  # as the performance grants
                while not raw.exists():
                    client.send_message(f"/symphony/{who}/ppg", [50.0, 50.5, 51.0, 50.2])
                    control.run(until=clock() + period)
                sent = time.monotonic()
                client.send_message(f"/symphony/{who}/consent", [0, 0])
                book = gone = None
                while gone is None or book is None:
                    t0 = time.monotonic()
                    control.run(until=clock() + period)
                    steps.append(time.monotonic() - t0)
                    now = time.monotonic()
                    if book is None and not control.book.get(who).record:
                        book = now - sent
                    if gone is None and not raw.exists():
                        gone = now - sent
                    if now - sent > 5.0:
                        raise SystemExit(f"{who}: withdrawal not done after 5 s")
                book_ms.append(1000 * book)
                file_ms.append(1000 * gone)
        finally:
            recorder.close()
            source.close()
    print(f"OSC withdrawal, {args.trials} trials, control rate {control.rate:g} Hz")
    print("| measure | median ms | max ms |")
    print("|---|---|---|")
    for label, values in (
        ("control period (baseline, same run)", [1000 * s for s in steps]),
        ("send -> consent book says no", book_ms),
        ("send -> raw signal file deleted", file_ms),
    ):
        print(f"| {label} | {statistics.median(values):.1f} | {max(values):.1f} |")


if __name__ == "__main__":
    main()
