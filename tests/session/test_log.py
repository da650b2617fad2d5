"""The session log: ring to file to schedule, surviving a cut-off last line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symphony.errors import SymphonyError
from symphony.session.log import SessionHeader, SessionWriter, read_session
from symphony.session.ring import RingReader, RingWriter, create_ring


def header() -> SessionHeader:
    return SessionHeader(
        "perf.toml", "abc", 1, 48000, 256, 2, ["a.x", "a.y", "master.gain_db"], 0.0
    )


def test_changes_round_trip_bit_exact(tmp_path: Path) -> None:
    ring = create_ring(capacity=1024)
    try:
        producer = RingWriter(ring)
        writer = SessionWriter(tmp_path / "s.log", header(), RingReader(ring))
        values = [0.1, 1 / 3, -2.5e-7, 440.0]
        for i, v in enumerate(values):
            producer.record(10 + i, i % 3, v)
        producer.played(20)
        writer.close()
    finally:
        ring.close()
        ring.shm.unlink()
    session = read_session(tmp_path / "s.log")
    assert session.schedule.values.tolist() == values
    assert session.schedule.blocks.tolist() == [10, 11, 12, 13]
    assert session.blocks_played == 20
    assert session.duration == pytest.approx(20 * 256 / 48000)


def test_ring_overflow_is_counted_not_silent(tmp_path: Path) -> None:
    ring = create_ring(capacity=8)
    try:
        producer, reader = RingWriter(ring), RingReader(ring)
        for i in range(20):
            producer.record(i, 0, float(i))
        blocks, _, _ = reader.drain()
        assert blocks.tolist() == list(range(12, 20))
        assert reader.lost == 12
    finally:
        ring.close()
        ring.shm.unlink()


def test_a_line_cut_by_a_crash_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "s.log"
    path.write_text(header().to_line() + "c 1 0 0.5\np 4\nc 5 1 0.2")  # no final newline
    session = read_session(path)
    assert session.schedule.values.tolist() == [0.5]
    assert session.blocks_played == 4


def test_malformed_records_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.log"
    path.write_text(header().to_line() + "c 1 0 0.5\nc 2 99 0.1\n")
    with pytest.raises(SymphonyError, match=r"s\.log:3: malformed session record"):
        read_session(path)
    path.write_text("hello\n")
    with pytest.raises(SymphonyError, match="not a symphony session log"):
        read_session(path)


def test_schedule_is_sorted_by_block(tmp_path: Path) -> None:
    path = tmp_path / "s.log"
    path.write_text(header().to_line() + "c 5 0 0.5\nc 2 1 0.1\np 9\n")
    s = read_session(path).schedule
    assert np.all(np.diff(s.blocks) >= 0)
