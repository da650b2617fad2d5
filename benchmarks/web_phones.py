"""Mood latency through the visitors' page: phone -> web process -> the room's lane.

Starts the visitors' page as in a show (its own process, `AudienceProcess`,
moods onto a `MessageLane`), then N simulated phones (real WebSocket
clients, each from its own loopback address) send moods at a total rate.
Each mood is matched to its arrival on the lane by its device and values.
Baseline from the same run: the same moods put on a lane directly by this
process, with no web in between (what the lane itself costs).

Usage: python benchmarks/web_phones.py [--phones 1000] [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from symphony.child import Mailbox  # noqa: E402
from symphony.collective.intake import Mood  # noqa: E402
from symphony.engine.lanes import MessageLane  # noqa: E402
from symphony.sanctuary.web import AudienceConfig, AudienceProcess  # noqa: E402
from symphony.sanctuary.web.phones import phones  # noqa: E402

Key = tuple[str, float, float]


def collect(lane: MessageLane, arrived: dict[Key, float], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            msg = lane.get(timeout=0.05)
        except queue.Empty:
            continue
        if isinstance(msg, Mood):
            arrived[(msg.device, msg.valence, msg.arousal)] = time.monotonic()


def latencies(sent: dict[Key, float], arrived: dict[Key, float]) -> list[float]:
    return sorted(arrived[k] - t for k, t in sent.items() if k in arrived)


def pct(values: list[float], p: float) -> float:
    return (
        values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000 if values else float("nan")
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phones(url: str, count: int, rate: float, seconds: float, out: object) -> None:
    """In a process of its own, so the phones' event loop never starves the collector."""
    sent: dict[Key, float] = {}
    stats = asyncio.run(
        phones(url, count, rate, seconds, on_send=lambda d, v, a, t: sent.__setitem__((d, v, a), t))
    )
    out.put((sent, stats))  # type: ignore[attr-defined]


def through_web(args: argparse.Namespace) -> tuple[str, list[float], int, str]:
    ctx = mp.get_context("spawn")
    lane = MessageLane(ctx)
    config = AudienceConfig(
        port=0, max_clients=max(2000, args.phones + 10), picture_every=args.picture_every
    )
    audience = AudienceProcess(config, lane, Mailbox(ctx))
    audience.start(announce=False)
    arrived: dict[Key, float] = {}
    stop = threading.Event()
    reader = threading.Thread(target=collect, args=(lane, arrived, stop), daemon=True)
    reader.start()
    try:
        cpu0 = cpu_seconds(audience.pid or 0)
        t0 = time.monotonic()
        out = ctx.Queue()
        url = f"http://127.0.0.1:{audience.port}/"
        client = ctx.Process(
            target=run_phones, args=(url, args.phones, args.rate, args.seconds, out)
        )
        client.start()
        sent, stats = out.get(timeout=args.seconds + 600)
        client.join(10)
        cpu = (cpu_seconds(audience.pid or 0) - cpu0) / (time.monotonic() - t0) * 100
    finally:
        stop.set()
        reader.join()
        audience.stop(1.0)
    note = f"joined {stats.joined} in {stats.joined_in:.1f} s"
    note += f", refused {dict(stats.refused)}, closed {dict(stats.closed)}"
    lost = len(sent) - len([k for k in sent if k in arrived])
    return f"web ({args.phones} phones)", latencies(sent, arrived), lost, f"{cpu:.0f}% cpu; {note}"


def direct(args: argparse.Namespace) -> tuple[str, list[float], int, str]:
    ctx = mp.get_context("spawn")
    lane = MessageLane(ctx)
    sent: dict[Key, float] = {}
    arrived: dict[Key, float] = {}
    stop = threading.Event()
    reader = threading.Thread(target=collect, args=(lane, arrived, stop), daemon=True)
    reader.start()
    n = int(args.rate * min(args.seconds, 10.0))
    for i in range(n):
        key = (f"web-{i % args.phones}", i / n, 0.0)
        sent[key] = time.monotonic()
        lane.put(Mood(*key))
        time.sleep(1 / args.rate)
    time.sleep(0.5)
    stop.set()
    reader.join()
    lost = len(sent) - len([k for k in sent if k in arrived])
    return "baseline: lane only", latencies(sent, arrived), lost, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="moods a second, in all")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--picture-every", type=float, default=1.0, help="s between room pictures")
    args = parser.parse_args()
    rows = [direct(args), through_web(args)]
    print(f"{'path':<24} {'moods':>7} {'lost':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  notes")
    for name, lat, lost, note in rows:
        top = lat[-1] * 1000 if lat else float("nan")
        print(
            f"{name:<24} {len(lat):>7} {lost:>5} {pct(lat, 50):>8.2f} {pct(lat, 99):>8.2f}"
            f" {top:>8.2f}  {note}"
        )


if __name__ == "__main__":
    main()
