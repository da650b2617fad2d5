"""Mood latency through the visitors' page: phone -> web process -> the room's lane.

Starts the visitors' page as in a show (its own process, `AudienceProcess`,
moods onto a `MessageLane`), then N simulated phones (real WebSocket
clients, each from its own loopback address) send moods at a total rate.
Each mood is matched to its arrival on the lane by its device and values.
Baseline from the same run: the same path of three processes and two hops
with no web in between (a sender process, a relay process, this one), i.e.
what crossing processes costs on this machine now: on a loaded machine that
is most of the tail.

Usage: python benchmarks/web_phones.py [--phones 1000] [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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


Row = tuple[str, list[float], int, str]


def through_web(args: argparse.Namespace) -> list[Row]:
    ctx = mp.get_context("spawn")
    lane = MessageLane(ctx)
    config = AudienceConfig(
        port=0,
        max_clients=max(2000, args.phones + 10),
        picture_every=args.picture_every,
        heartbeat=args.heartbeat,
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
        time.sleep(1.0)
        client_cpu0 = cpu_seconds(client.pid)
        sent, stats = out.get(timeout=args.seconds + 600)
        client_cpu = (cpu_seconds(client.pid) - client_cpu0) / (time.monotonic() - t0 - 1) * 100
        client.join(10)
        cpu = (cpu_seconds(audience.pid or 0) - cpu0) / (time.monotonic() - t0) * 100
    finally:
        stop.set()
        reader.join()
        audience.stop(1.0)
    note = f"joined {stats.joined} in {stats.joined_in:.1f} s"
    note += f", refused {dict(stats.refused)}, closed {dict(stats.closed)}"
    lost = len(sent) - len([k for k in sent if k in arrived])
    steady = {k: t for k, t in sent.items() if t > stats.started + stats.joined_in}
    return [
        (
            f"web ({args.phones} phones)",
            latencies(sent, arrived),
            lost,
            f"{cpu:.0f}% cpu (phones {client_cpu:.0f}%); {note}",
        ),
        ("  after all joined", latencies(steady, arrived), 0, "moods sent once every phone was in"),
    ]


def relay(inbox: MessageLane, outbox: MessageLane, stop: object) -> None:
    """The web process's place in the baseline: one process that passes moods on."""
    while not stop.is_set():  # type: ignore[attr-defined]
        with contextlib.suppress(queue.Empty):
            outbox.put(inbox.get(timeout=0.05))


def send_moods(lane: MessageLane, n: int, rate: float, phones: int, out: object) -> None:
    """The phones' place in the baseline: a process putting moods on a lane at the rate."""
    sent: dict[Key, float] = {}
    for i in range(n):
        key = (f"web-{i % phones}", i / n, 0.0)
        sent[key] = time.monotonic()
        lane.put(Mood(*key))
        time.sleep(1 / rate)
    out.put(sent)  # type: ignore[attr-defined]


def direct(args: argparse.Namespace) -> Row:
    """The same three processes and two hops as through the web, with no web in between."""
    ctx = mp.get_context("spawn")
    first, second, done, out = MessageLane(ctx), MessageLane(ctx), ctx.Event(), ctx.Queue()
    arrived: dict[Key, float] = {}
    stop = threading.Event()
    reader = threading.Thread(target=collect, args=(second, arrived, stop), daemon=True)
    reader.start()
    n = int(args.rate * min(args.seconds, 20.0))
    middle = ctx.Process(target=relay, args=(first, second, done))
    sender = ctx.Process(target=send_moods, args=(first, n, args.rate, args.phones, out))
    middle.start()
    sender.start()
    sent = out.get(timeout=n / args.rate + 60)
    time.sleep(0.5)
    done.set()
    stop.set()
    for proc in (sender, middle):
        proc.join(5)
    reader.join()
    lost = len(sent) - len([k for k in sent if k in arrived])
    return "baseline: 2 lanes, no web", latencies(sent, arrived), lost, "sender -> relay -> here"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="moods a second, in all")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--heartbeat", type=float, default=10.0, help="s between pings")
    parser.add_argument("--picture-every", type=float, default=1.0, help="s between room pictures")
    args = parser.parse_args()
    rows = [direct(args), *through_web(args)]
    print(f"{'path':<24} {'moods':>7} {'lost':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  notes")
    for name, lat, lost, note in rows:
        top = lat[-1] * 1000 if lat else float("nan")
        print(
            f"{name:<24} {len(lat):>7} {lost:>5} {pct(lat, 50):>8.2f} {pct(lat, 99):>8.2f}"
            f" {top:>8.2f}  {note}"
        )


if __name__ == "__main__":
    main()
