"""The raw-signal recorder: consent first, evenly spaced CSV the recording reader reads back."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk
from symphony.inputs.sources.recording_source import load_recording
from symphony.session.signals import SignalRecorder, signals_folder


def _chunks(who: str, kind: str, data: np.ndarray, rate: float, size: int, start: float = 0.0):
    for a in range(0, data.shape[-1], size):
        yield SignalChunk(who, Signal(kind, rate, data[..., a : a + size], "au", start + a / rate))


def test_only_consenting_participants_reach_the_disk(tmp_path: Path) -> None:
    folder = signals_folder(tmp_path / "show.session")
    assert folder == tmp_path / "show.signals"
    rng = np.random.default_rng(1)
    anna, ben = rng.normal(size=640), rng.normal(size=640) + 9000.0
    recorder = SignalRecorder(folder, consent=lambda source, who: who == "anna")
    try:
        recorder.write("strap", _chunks("anna", "ppg", anna, 64.0, 16))
        recorder.write("strap", _chunks("ben", "ppg", ben, 64.0, 16))
    finally:
        recorder.close()
    assert [p.name for p in folder.iterdir()] == ["anna-ppg.csv"]
    assert recorder.refused == {("strap", "ben")}
    text = (folder / "anna-ppg.csv").read_text()
    assert not re.search(r"(^|,)9\d{3}\.", text, re.MULTILINE), "ben's samples were written"
    (rec,) = load_recording(folder)
    assert rec.participant == "anna"
    np.testing.assert_allclose(rec.signals["ppg"].data, anna, rtol=1e-8)
    assert rec.signals["ppg"].rate == 64.0


def test_nobody_consents_no_folder(tmp_path: Path) -> None:
    folder = tmp_path / "show.signals"
    recorder = SignalRecorder(folder, consent=lambda source, who: False)
    recorder.write("s", _chunks("anna", "ppg", np.ones(64), 64.0, 16))
    recorder.close()
    assert not folder.exists()


def test_gaps_become_nan_and_times_line_up_across_files(tmp_path: Path) -> None:
    folder = tmp_path / "x.signals"
    recorder = SignalRecorder(folder, consent=lambda source, who: True)
    eeg = np.arange(2 * 512, dtype=np.float64).reshape(2, 512)
    resp = np.linspace(0.0, 1.0, 100)
    # The EEG starts at 10 s; the belt at 12 s, then drops out for 2 s.
    recorder.write("s", _chunks("anna", "eeg", eeg, 256.0, 32, start=10.0))
    recorder.write("s", _chunks("anna", "resp", resp[:50], 25.0, 10, start=12.0))
    recorder.write("s", _chunks("anna", "resp", resp[50:], 25.0, 10, start=16.0))
    # A chunk that arrives 3 ms early continues the grid rather than overlapping.
    recorder.write("s", _chunks("anna", "resp", np.full(5, 7.0), 25.0, 5, start=17.997))
    recorder.close()
    (rec,) = load_recording(folder)
    got_eeg, got_resp = rec.signals["eeg"], rec.signals["resp"]
    np.testing.assert_array_equal(got_eeg.data, eeg)
    assert got_eeg.start == 0.0 and got_resp.start == 2.0  # from the recording's first sample
    assert got_resp.n_samples == 50 + 50 + 50 + 5
    assert np.all(np.isnan(got_resp.data[50:100]))
    np.testing.assert_allclose(got_resp.data[100:150], resp[50:])
    np.testing.assert_array_equal(got_resp.data[150:], 7.0)


def test_rows_reach_the_file_while_the_show_runs(tmp_path: Path) -> None:
    """The writer thread hands rows to the OS without waiting for close (at most every 0.25 s)."""
    folder = tmp_path / "live.signals"
    recorder = SignalRecorder(folder, consent=lambda source, who: True)
    try:
        recorder.write("s", _chunks("anna", "eda", np.full(32, 2.5), 16.0, 16))
        path = folder / "anna-eda.csv"
        deadline = time.monotonic() + 30.0
        rows = 0
        while time.monotonic() < deadline:
            rows = sum(1 for ln in path.read_text().splitlines() if ln[:1].isdigit())
            if rows == 32:
                break
            time.sleep(0.05)
        assert rows == 32
    finally:
        recorder.close()


_WRITER = """
import sys, time
import numpy as np
from pathlib import Path
from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk
from symphony.session.signals import SignalRecorder

recorder = SignalRecorder(Path(sys.argv[1]), consent=lambda source, who: True)
k = 0
while True:  # 4 channels at 256 Hz, 1/16 s chunks, until killed
    data = np.vstack([np.arange(k, k + 16) + c * 0.25 for c in range(4)]).astype(float)
    recorder.write("s", [SignalChunk("anna", Signal("eeg", 256.0, data, "uV", k / 256.0))])
    k += 16
    time.sleep(0.01)
"""


def test_kill_9_leaves_whole_rows_that_read_back(tmp_path: Path) -> None:
    folder = tmp_path / "killed.signals"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(folder)], cwd=Path(__file__).resolve().parents[2]
    )
    path = folder / "anna-eeg.csv"
    try:
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            if path.is_file() and path.stat().st_size > 20_000:
                break
            time.sleep(0.05)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert path.stat().st_size > 20_000, "the writer never flushed"
    assert path.read_text().endswith("\n")
    (rec,) = load_recording(folder)
    eeg = rec.signals["eeg"]
    assert eeg.rate == 256.0 and eeg.n_samples >= 100
    k = np.arange(eeg.n_samples, dtype=float)
    np.testing.assert_array_equal(eeg.data, np.vstack([k + c * 0.25 for c in range(4)]))
