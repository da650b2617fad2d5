"""The session log: ring to file to schedule, surviving a cut-off last line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symphony.errors import SymphonyError
from symphony.session.log import SessionHeader, SessionWriter, read_session
from symphony.session.ring import REBUILT, RingReader, RingWriter, create_ring


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
        blocks, _, _, _ = reader.drain()
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


def test_tagged_changes_go_through_resolve(tmp_path: Path) -> None:
    """The default writes nothing for a tagged change; a resolve decides per change."""
    ring = create_ring(capacity=1024)
    calls: list[tuple[int, int, float, int]] = []

    def resolve(block: int, target: int, value: float, tag: int) -> str | None:
        calls.append((block, target, value, tag))
        if tag == 5:
            return None  # this person's value stays out of the log
        return f"c {block} {target} {0.5 if tag else value!r}"

    try:
        producer = RingWriter(ring)
        plain = SessionWriter(tmp_path / "plain.log", header(), RingReader(ring))
        custom = SessionWriter(tmp_path / "custom.log", header(), RingReader(ring), resolve)
        producer.record(1, 0, 0.25)
        producer.record(2, 1, float("nan"), 5)
        producer.record(3, 1, float("nan"), 6)
        producer.played(4)
        plain.close()
        custom.close()
    finally:
        ring.close()
        ring.shm.unlink()
    assert read_session(tmp_path / "plain.log").schedule.values.tolist() == [0.25]
    assert [c[3] for c in calls] == [0, 5, 6] and np.isnan(calls[1][2])
    session = read_session(tmp_path / "custom.log")
    assert session.schedule.blocks.tolist() == [1, 3]
    assert session.schedule.values.tolist() == [0.25, 0.5]


def test_rebuild_markers_are_logged_and_read(tmp_path: Path) -> None:
    ring = create_ring(capacity=64)
    try:
        producer = RingWriter(ring)
        writer = SessionWriter(tmp_path / "s.log", header(), RingReader(ring))
        producer.record(3, 0, 0.1)
        producer.record(9, REBUILT, 2.5)
        producer.record(9, 1, 0.2)
        producer.played(12)
        writer.close()
    finally:
        ring.close()
        ring.shm.unlink()
    assert "r 9 2.5" in (tmp_path / "s.log").read_text()
    session = read_session(tmp_path / "s.log")
    assert session.rebuilds == [(9, 2.5)]
    assert session.schedule.blocks.tolist() == [3, 9]


def test_rewrite_filters_the_whole_log_and_appending_goes_on(tmp_path: Path) -> None:
    ring = create_ring(capacity=1024)
    path = tmp_path / "s.log"
    try:
        producer = RingWriter(ring)
        writer = SessionWriter(path, header(), RingReader(ring))
        for b in range(10):
            producer.record(b, b % 2, float(b))
        producer.played(10)
        writer.drain()
        inode = path.stat().st_ino
        seen: list[str] = []

        def keep(line: str) -> str | None:
            seen.append(line)
            return None if line.startswith("c ") and line.split()[2] == "1" else line

        dropped = writer.rewrite(keep)
        assert dropped == 5 and all(not s.endswith("\n") for s in seen)
        assert path.stat().st_ino != inode  # a new file renamed over the old one
        assert not (tmp_path / "s.log.rewrite").exists()
        producer.record(11, 1, 11.0)  # written after the rewrite: appended to the new log
        producer.played(12)
        writer.close()
    finally:
        ring.close()
        ring.shm.unlink()
    session = read_session(path)
    assert session.schedule.blocks.tolist() == [0, 2, 4, 6, 8, 11]
    assert session.blocks_played == 12
    assert path.read_text().startswith("#symphony-session 1 ")


def test_lines_appended_during_a_rewrite_are_filtered_too(tmp_path: Path) -> None:
    """The bulk is filtered outside the lock; what the writer appends meanwhile is not missed."""
    ring = create_ring(capacity=1024)
    path = tmp_path / "s.log"
    try:
        producer = RingWriter(ring)
        writer = SessionWriter(path, header(), RingReader(ring))
        producer.record(1, 1, 0.5)
        writer.drain()
        appended = [False]

        def keep(line: str) -> str | None:
            if not appended[0]:  # the show goes on while the rewrite runs
                appended[0] = True
                producer.record(2, 1, 0.7)
                producer.record(3, 0, 0.9)
                writer.drain()
            return None if line.startswith("c ") and line.split()[2] == "1" else line

        assert writer.rewrite(keep) == 2
        assert writer.locked_seconds > 0.0
        writer.close()
    finally:
        ring.close()
        ring.shm.unlink()
    session = read_session(path)
    assert session.schedule.targets.tolist() == [0]
    assert " 1 0.7" not in path.read_text() and " 1 0.5" not in path.read_text()
