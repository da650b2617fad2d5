"""Render speed of the demo, against a bare pyo script building the same layers.

Both run in fresh processes, alternately, in the same run, so machine noise
hits both alike; the best of N runs of each is compared.

- symphony: `render_performance` on the demo: simulated participants,
  features, collective, mappings, scenes, the per-block hook, the master
  safety chain, the file written, and the report measured afterwards is not
  counted (only planning plus rendering).
- bare pyo: the same patch files' `build` functions, given plain pyo SigTo
  parameters at their defaults and Metro triggers for the heartbeat voices
  (one per voice, at 70 bpm), summed and written by pyo's offline server. No
  symphony code runs: no hook, no schedule, no master chain, no features.

Usage: python benchmarks/render.py [--duration 600] [--participants 8] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "performances" / "demo.toml"

SYMPHONY_RUN = """
import json, sys, time
from pathlib import Path
from symphony.performance.loader import load_performance
from symphony.performance.render import render_performance
perf = load_performance(Path({demo!r}))
started = time.perf_counter()
result = render_performance(perf, Path({out!r}), duration={duration}, participants={participants})
wall = time.perf_counter() - started
print(json.dumps({{"wall": result.total_seconds, "plan": result.plan_seconds,
                  "render": result.stats.wall_seconds}}))
"""

BARE_RUN = """
import importlib.util, json, os, time, tomllib
os.environ.setdefault("PYO_GUI_WX", "0")
import pyo

demo = tomllib.loads(open({demo!r}).read())
out = demo.get("output", {{}})
sr, nch, bs = out.get("sample_rate", 48000), out.get("channels", 2), out.get("block_size", 256)
voices = demo.get("participants", {{}}).get("voices", 8)
started = time.perf_counter()
s = pyo.Server(sr=sr, nchnls=nch, buffersize=bs, duplex=0, audio="offline").boot()
s.setGlobalSeed(1)
s.recordOptions(dur={duration}, filename={out!r}, fileformat=0, sampletype=1)

class Ctx:
    def __init__(self, params, n_voices):
        self.pyo, self.channels, self.sample_rate, self.seed = pyo, nch, sr, 1
        self.params = params
        self.kept = []
        self.voices = [
            type("V", (), {{"trig": pyo.Metro(60 / 70).play(delay=i * 0.11),
                           "velocity": pyo.Sig(0.8), "pan": pyo.Sig((i + 0.5) / n_voices)}})()
            for i in range(n_voices)
        ]
    def param(self, name): return self.params[name]
    def voice_list(self, name): return self.voices
    def keep(self, *objs): self.kept.extend(objs)
    def spread(self, mono, pan, spread=0.3):
        p = pyo.Pan(mono, outs=nch, pan=pan, spread=spread); self.kept.append(p); return p

keep, outs = [], []
for layer in demo["layers"]:
    path = os.path.join({root!r}, "patches", layer["patch"] + ".py")
    spec = importlib.util.spec_from_file_location("bare_" + layer["name"], path)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    params = {{p.name: pyo.SigTo(layer.get("params", {{}}).get(p.name, p.default), time=p.smoothing)
              for p in mod.PARAMS}}
    ctx = Ctx(params, voices)
    sig = mod.build(ctx)
    gain = 10 ** (layer.get("gain_db", 0.0) / 20)
    outs.append(pyo.Mix(sig, voices=nch, mul=gain))
    keep.extend([ctx, params, sig])
mix = pyo.Mix(outs, voices=nch).out()
s.start()
wall = time.perf_counter() - started
s.shutdown()
print(json.dumps({{"wall": wall}}))
"""


def run(code: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark run failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--participants", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sym_out, bare_out = str(Path(tmp) / "symphony.wav"), str(Path(tmp) / "bare.wav")
        symphony, bare = [], []
        for _ in range(args.runs):
            bare.append(
                run(
                    BARE_RUN.format(
                        demo=str(DEMO), out=bare_out, root=str(ROOT), duration=args.duration
                    )
                )
            )
            symphony.append(
                run(
                    SYMPHONY_RUN.format(
                        demo=str(DEMO),
                        out=sym_out,
                        duration=args.duration,
                        participants=args.participants,
                    )
                )
            )
    best_sym = min(symphony, key=lambda r: r["wall"])
    best_bare = min(bare, key=lambda r: r["wall"])
    d = args.duration
    print(
        f"demo render, {d:g} s of audio, {args.participants} simulated participants, "
        f"best of {args.runs} runs each"
    )
    print()
    print("| run | wall time (s) | speed (x real time) | ratio to bare pyo |")
    print("|---|---:|---:|---:|")
    print(
        f"| bare pyo, same layers | {best_bare['wall']:.1f} | {d / best_bare['wall']:.1f} | 1.00 |"
    )
    print(
        f"| symphony render | {best_sym['wall']:.1f} | {d / best_sym['wall']:.1f} | "
        f"{best_sym['wall'] / best_bare['wall']:.2f} |"
    )
    print(f"|   of which control plan | {best_sym['plan']:.1f} | | |")
    print(f"|   of which engine | {best_sym['render']:.1f} | | |")
    print()
    print("targets: ratio <= 1.15; 600 s demo in under 60 s")


if __name__ == "__main__":
    main()
