"""Recordings written by the real writers, read back; replay live and fast; the simulator."""

from __future__ import annotations

import csv
import struct
import time
from pathlib import Path

import numpy as np
import pyedflib
import pytest
from brainflow.board_shim import BoardShim
from brainflow.data_filter import DataFilter

from symphony.errors import SymphonyError
from symphony.inputs.profiles import load_profile
from symphony.inputs.source import SignalChunk
from symphony.inputs.sources import open_source
from symphony.inputs.sources.recording_source import ReplaySource, load_recording

BoardShim.disable_board_logger()


def _write_csv(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_csv_round_trip_with_participants_channels_and_profile_labels(tmp_path: Path) -> None:
    path = tmp_path / "session.csv"
    t = np.arange(100) / 50.0
    rows: list[list[object]] = [["time", "pleth", "eeg:TP9", "eeg:AF7", "bo/resp"]]
    rows += [[f"{x:.5f}", np.sin(x), 1.0, 2.0, "nan" if i == 3 else 0.5] for i, x in enumerate(t)]
    _write_csv(path, rows)
    recs = {r.participant: r for r in load_recording(path, load_profile("ppg_clip"))}
    assert set(recs) == {"session", "bo"}
    ppg = recs["session"].signals["ppg"]
    assert ppg.rate == pytest.approx(50.0) and ppg.n_samples == 100 and ppg.unit == "au"
    assert np.allclose(ppg.data, np.sin(t))
    assert recs["session"].signals["eeg"].data.shape == (2, 100)
    assert np.isnan(recs["bo"].signals["resp"].data[3])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["time", "ppg"], ["0", "1"], ["0.1", ""]], r"session.csv:3: column 'ppg' holds ''"),
        ([["time", "ppg"], ["0", "1"], ["0.1", "x"]], r"expected a number"),
        ([["time", "pulse"], ["0", "1"], ["0.1", "1"]], r"session.csv:1: column 'pulse'"),
        ([["t", "ppg"], ["0", "1"]], r"session.csv:1: first column is 't'"),
        ([["time", "ppg"], ["0", "1"], ["0.1", "1", "2"]], r"session.csv:3: 3 fields"),
        ([["time", "ppg"], ["0", "1"], ["0.1", "1"], ["0.2", "1"], ["0.9", "1"]], r":5:.*step"),
    ],
)
def test_csv_errors_name_line_and_column(
    tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    path = tmp_path / "session.csv"
    _write_csv(path, rows)
    with pytest.raises(SymphonyError, match=message):
        load_recording(path)


def test_edf_written_by_pyedflib(tmp_path: Path) -> None:
    path = tmp_path / "night.edf"
    rate = 128
    signals = [np.sin(np.arange(rate * 4) / 10.0) * 50, np.linspace(1, 2, 16 * 4)]
    headers = [
        {
            "label": "EEG Fz",
            "dimension": "uV",
            "sample_frequency": rate,
            "physical_max": 100.0,
            "physical_min": -100.0,
            "digital_max": 32767,
            "digital_min": -32768,
        },
        {
            "label": "EDA",
            "dimension": "uS",
            "sample_frequency": 16,
            "physical_max": 10.0,
            "physical_min": 0.0,
            "digital_max": 32767,
            "digital_min": -32768,
        },
    ]
    writer = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    writer.setSignalHeaders(headers)
    writer.writeSamples(signals)
    writer.close()
    (rec,) = load_recording(path, participant="cleo")
    assert rec.participant == "cleo"
    eeg, eda = rec.signals["eeg"], rec.signals["eda"]
    assert eeg.rate == rate and eeg.data.shape == (1, rate * 4)
    assert np.allclose(eeg.data[0], signals[0], atol=0.01)
    assert eda.rate == 16 and np.allclose(eda.data, signals[1], atol=1e-3)
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"0       not an edf header at all")
    with pytest.raises(SymphonyError, match=r"bad.edf: not a readable EDF"):
        load_recording(bad)


def test_brainflow_file_written_by_datafilter(tmp_path: Path) -> None:
    path = tmp_path / "bf.csv"
    n = 500
    data = np.zeros((32, n))
    data[1:17] = np.arange(n) / 250.0
    data[24] = 7.0
    data[30] = 1_700_000_000.0 + np.arange(n) / 250.0
    DataFilter.write_file(data, str(path), "w")
    (rec,) = load_recording(path, board="SYNTHETIC_BOARD")
    assert rec.signals["eeg"].data.shape == (16, n) and rec.signals["eeg"].rate == 250
    assert np.all(rec.signals["ppg"].data == 7.0) and rec.signals["eeg"].start == 0.0
    with pytest.raises(SymphonyError, match="which board"):
        load_recording(path)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("7.000000", "seven", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SymphonyError, match=r"bf.csv:3: channel row 24 holds 'seven'"):
        load_recording(path, board="SYNTHETIC_BOARD")


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return struct.pack("<BI", 4, len(body)) + body


def _write_xdf(
    path: Path, name: str, stype: str, rate: float, samples: np.ndarray, t0: float
) -> None:
    """A minimal valid XDF 1.0 file: file header, one stream header, samples, footer."""
    header = b'<?xml version="1.0"?><info><version>1.0</version></info>'
    info = (
        f'<?xml version="1.0"?><info><name>{name}</name><type>{stype}</type>'
        f"<channel_count>{samples.shape[1]}</channel_count><nominal_srate>{rate}</nominal_srate>"
        "<channel_format>double64</channel_format><created_at>0</created_at></info>"
    ).encode()
    body = struct.pack("<BI", 4, samples.shape[0])
    for i, row in enumerate(samples):
        body += (
            struct.pack("<B", 8) + struct.pack("<d", t0 + i / rate) + row.astype("<f8").tobytes()
        )
    footer = (
        f'<?xml version="1.0"?><info><first_timestamp>{t0}</first_timestamp>'
        f"<last_timestamp>{t0 + (len(samples) - 1) / rate}</last_timestamp>"
        f"<sample_count>{len(samples)}</sample_count></info>"
    ).encode()
    sid = struct.pack("<I", 1)
    path.write_bytes(
        b"XDF:"
        + _chunk(1, header)
        + _chunk(2, sid + info)
        + _chunk(3, sid + body)
        + _chunk(6, sid + footer)
    )


def test_xdf_written_by_hand_following_the_spec(tmp_path: Path) -> None:
    """pyxdf has no writer, so the test writes the chunk format itself."""
    path = tmp_path / "lab.xdf"
    samples = np.column_stack([np.arange(256.0), -np.arange(256.0), np.zeros(256)])
    _write_xdf(path, "dee/Muse", "PPG", 64.0, samples, 1000.0)
    (rec,) = load_recording(path, load_profile("muse2"))
    assert rec.participant == "dee"
    ppg = rec.signals["ppg"]
    assert ppg.rate == 64.0 and np.allclose(ppg.data, -np.arange(256.0))  # profile: channel 1
    bad = tmp_path / "broken.xdf"
    bad.write_bytes(b"XDF:" + b"\x04\xff\xff")
    with pytest.raises(SymphonyError, match=r"broken\.xdf"):
        load_recording(bad)
    markers = tmp_path / "markers.xdf"
    _write_xdf(markers, "m", "Markers", 10.0, np.zeros((5, 1)), 0.0)
    with pytest.raises(
        SymphonyError, match=r"no stream carries a known signal \(types: 'Markers'\)"
    ):
        load_recording(markers)


def test_replay_live_and_fast(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    _write_csv(path, [["time", "ppg"]] + [[i / 100.0, float(i)] for i in range(200)])
    recs = load_recording(path)
    t0 = time.monotonic()
    live = ReplaySource(recs, lambda: 50.0 + time.monotonic() - t0)
    live.open()
    time.sleep(0.5)
    chunks = live.poll()
    n = sum(c.signal.n_samples for c in chunks)
    assert 40 <= n <= 60 and chunks[0].signal.start == pytest.approx(50.0, abs=0.05)
    assert not live.finished
    fast = open_source({"kind": "recording", "path": str(path), "fast": True, "chunk": 0.5})
    pieces: list[SignalChunk] = []
    for _ in range(5):
        pieces += fast.poll()
    data = np.hstack([c.signal.data for c in pieces])
    assert np.array_equal(data, np.arange(200.0))
    assert [c.signal.start for c in pieces] == pytest.approx([0.0, 0.5, 1.0, 1.5])
    assert not fast.status().connected  # finished


def test_replay_loop_and_simulated_source() -> None:
    sim = open_source(
        {
            "kind": "simulated",
            "participants": 2,
            "duration": 2.0,
            "seed": 3,
            "fast": True,
            "loop": True,
            "chunk": 1.0,
        }
    )
    chunks: list[SignalChunk] = []
    for _ in range(5):
        chunks += sim.poll()
    ppg = [c.signal for c in chunks if c.participant == "p01" and c.signal.kind == "ppg"]
    assert sum(s.n_samples for s in ppg) == 5 * 64
    assert ppg[-1].start == pytest.approx(4.0)
    assert {c.participant for c in chunks} == {"p01", "p02"}
    assert sim.status().connected
