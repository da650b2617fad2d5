"""BrainFlow source on real boards: the synthetic board and the playback file board."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from brainflow.board_shim import BoardIds, BoardShim, BrainFlowInputParams
from brainflow.data_filter import DataFilter

from symphony.inputs.profiles import load_profile
from symphony.inputs.source import SignalChunk, Source
from symphony.inputs.sources import open_source
from symphony.inputs.sources.brainflow_layout import routes_from_descr
from symphony.inputs.sources.brainflow_source import board_descriptions

BoardShim.disable_board_logger()
SYNTH = int(BoardIds.SYNTHETIC_BOARD.value)


def _wait(
    source: Source, done: Callable[[list[SignalChunk]], bool], timeout: float
) -> list[SignalChunk]:
    chunks: list[SignalChunk] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(chunks):
        chunks += source.poll()
        time.sleep(0.05)
    return chunks


def test_layout_from_profiles_is_pure() -> None:
    muse = routes_from_descr(
        board_descriptions(int(BoardIds.MUSE_2_BOARD.value)), load_profile("muse2")
    )
    by_kind = {r.kind: r for r in muse}
    assert by_kind["eeg"].rows == (1, 2, 3, 4) and by_kind["eeg"].rate == 256
    assert by_kind["ppg"].preset == "ancillary" and by_kind["ppg"].rows == (2,)
    assert by_kind["ppg"].rate == 64
    synth = {r.kind: r for r in routes_from_descr(board_descriptions(SYNTH))}
    assert set(synth) == {"eeg", "ppg", "eda"} and len(synth["eeg"].rows) == 16


def test_synthetic_board_streams_on_the_show_clock() -> None:
    t0 = time.monotonic()
    clock = lambda: 100.0 + time.monotonic() - t0  # noqa: E731
    source = open_source(
        {"kind": "brainflow", "board": "SYNTHETIC_BOARD", "participant": "ada"}, clock
    )
    try:
        chunks = _wait(
            source,
            lambda c: sum(x.signal.n_samples for x in c if x.signal.kind == "eeg") > 250,
            5.0,
        )
        now = clock()
    finally:
        source.close()
    kinds = {c.signal.kind for c in chunks}
    assert kinds == {"eeg", "ppg", "eda"}
    eeg = [c.signal for c in chunks if c.signal.kind == "eeg"]
    assert eeg[0].data.shape[0] == 16 and eeg[0].rate == 250.0 and eeg[0].unit == "uV"
    assert all(c.participant == "ada" for c in chunks)
    # Stamped from the board's timestamps, on the show clock: within the last couple of seconds.
    assert 100.0 <= eeg[0].start <= now and now - (eeg[-1].start + eeg[-1].duration) < 1.0
    starts = np.array([s.start for s in eeg])
    assert np.all(np.diff(starts) > 0)
    status = source.status()
    assert status.error is None and status.last_data is not None


def _write_playback_file(path: Path, seconds: float) -> None:
    board = BoardShim(SYNTH, BrainFlowInputParams())
    board.prepare_session()
    board.start_stream()
    time.sleep(seconds)
    data = board.get_board_data()
    board.release_session()
    DataFilter.write_file(data, str(path), "w")


def test_playback_board_waits_for_its_file_then_resumes_after_a_stall(tmp_path: Path) -> None:
    """The 'device' is absent at first, returns, stalls at the end of the file, returns again."""
    path = tmp_path / "session.csv"
    spec = {
        "kind": "brainflow",
        "board": "PLAYBACK_FILE_BOARD",
        "params": {"file": str(path), "master_board": "SYNTHETIC_BOARD"},
        "config": ["loopback_false"],
        "stall_timeout": 1.0,
    }
    source = open_source(spec)
    try:
        time.sleep(0.8)
        first = source.status()
        assert not first.connected and "PLAYBACK_FILE_BOARD" in (first.error or "")
        assert first.next_retry is not None
        _write_playback_file(path, 1.0)
        returned = time.monotonic()
        chunks = _wait(source, lambda c: any(x.signal.kind == "eeg" for x in c), 10.0)
        assert chunks, "no data within 10 s of the file appearing"
        assert time.monotonic() - returned < 10.0
        assert source.status().connected
        # loopback off: the file ends, nothing arrives, the stall triggers a reconnect.
        t_end = time.monotonic()
        more = _wait(source, lambda c: source.status().reconnects >= 2 and bool(c), 8.0)
        assert source.status().reconnects >= 2 and more
        assert time.monotonic() - t_end < 8.0
    finally:
        source.close()
    eeg = [c.signal for c in chunks + more if c.signal.kind == "eeg"]
    assert eeg[0].rate == 250.0 and eeg[0].data.shape[0] == 16
