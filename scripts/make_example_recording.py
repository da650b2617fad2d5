"""Write the example recording `performances/recordings/circle.signals/`.

Three simulated participants (anna, ben, chloe) for 60 s, calm and then
breathing together, written by the same `SignalRecorder` that `symphony
live` uses for consenting participants, so the example is exactly what a
live show leaves behind. Values are rounded to 3 decimals (plenty for the
features) to keep the committed files small; EEG is written for anna only,
two channels at 128 Hz.

    PYTHONPATH=. .venv/bin/python scripts/make_example_recording.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from symphony.inputs.recording import Signal
from symphony.inputs.simulated import SignalRates, StateChange, simulate_group
from symphony.inputs.source import SignalChunk
from symphony.session.signals import SignalRecorder

OUT = Path(__file__).resolve().parents[1] / "performances" / "recordings" / "circle.signals"
NAMES = ("anna", "ben", "chloe")
SECONDS = 60.0
CHUNK = 0.25  # s per chunk, as a live source delivers them


def main() -> None:
    rates = SignalRates(ppg=64.0, resp=25.0, eeg=128.0, eda=8.0)
    script = [StateChange(0.0, "calm"), StateChange(30.0, "together", ramp=10.0)]
    group = simulate_group(len(NAMES), SECONDS, seed=11, script=script, rates=rates)
    if OUT.exists():
        shutil.rmtree(OUT)
    recorder = SignalRecorder(OUT, consent=lambda source, who: True)
    try:
        for name, person in zip(NAMES, group, strict=True):
            for kind, signal in person.signals.items():
                if kind == "eeg" and name != "anna":
                    continue
                data = np.round(signal.data[:2] if kind == "eeg" else signal.data, 3)
                step = round(CHUNK * signal.rate)
                for a in range(0, signal.n_samples, step):
                    piece = Signal(kind, signal.rate, data[..., a : a + step], signal.unit)
                    piece.start = a / signal.rate
                    recorder.write("simulator", [SignalChunk(name, piece)])
    finally:
        recorder.close()
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{OUT}: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
