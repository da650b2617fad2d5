"""Render speed of the demo, against plain pyo scripts building the same layers.

Three runs, each in a fresh process, alternated so machine noise hits all
alike; the best of N runs of each is compared:

- **symphony**: `render_performance` on the demo: simulated participants,
  features, collective, mappings, scenes, the schedule, the per-block hook,
  the master safety chain and the file written (the report's metering
  afterwards is not counted).
- **bare pyo, replaying the same timeline**: a plain pyo script (no symphony
  code at run time) that builds the same patch files with SigTo parameters,
  Trig voices and layer gains, and applies the very control timeline symphony
  computed (read from a file) in a ten-line per-block callback. This is the
  baseline for symphony's overhead: same sound, none of our code.
- **bare pyo, static**: the same layers left at their defaults, heartbeats
  from Metro objects at 70 bpm. Cheaper than the show itself (denser grains,
  brighter filters cost more), shown for scale.

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
import json
import numpy as np
from pathlib import Path
from symphony.performance.loader import load_performance
from symphony.performance.render import render_performance
perf = load_performance(Path({demo!r}))
result = render_performance(perf, Path({out!r}), duration={duration}, participants={participants})
s, layout = result.plan.schedule, result.plan.layout
np.savez({timeline!r}, blocks=s.blocks, targets=s.targets, values=s.values,
         names=np.array([t.name for t in layout.targets]),
         initial=np.array(result.plan.initial))
print(json.dumps({{"wall": result.total_seconds, "plan": result.plan_seconds,
                  "render": result.stats.wall_seconds}}))
"""

BARE_COMMON = """
import importlib.util, json, os, time, tomllib
import numpy as np
os.environ.setdefault("PYO_GUI_WX", "0")
import pyo

demo = tomllib.loads(open({demo!r}).read())
out = demo.get("output", {{}})
sr, nch, bs = out.get("sample_rate", 48000), out.get("channels", 2), out.get("block_size", 256)
n_voices = demo.get("participants", {{}}).get("voices", 8)
started = time.perf_counter()
s = pyo.Server(sr=sr, nchnls=nch, buffersize=bs, duplex=0, audio="offline").boot()
s.setGlobalSeed(1)
s.recordOptions(dur={duration}, filename={out!r}, fileformat=0, sampletype=1)

class Voice:
    def __init__(self, i):
        self.trig = TRIGGER(i)
        self.velocity = pyo.Sig(VELOCITY)
        self.pan = pyo.SigTo((i + 0.5) / n_voices, time=0.005)

class Ctx:
    def __init__(self, params):
        self.pyo, self.channels, self.sample_rate, self.seed = pyo, nch, sr, 1
        self.params, self.kept = params, []
        self.voices = [Voice(i) for i in range(n_voices)]
    def param(self, name): return self.params[name]
    def voice_list(self, name): return self.voices
    def keep(self, *objs): self.kept.extend(objs)
    def spread(self, mono, pan):
        p = pyo.SPan(mono, outs=nch, pan=pan); self.kept.append(p); return p

setters, keep, outs = {{}}, [], []
for layer in demo["layers"]:
    path = os.path.join({root!r}, "patches", layer["patch"] + ".py")
    spec = importlib.util.spec_from_file_location("bare_" + layer["name"], path)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    params = {{p.name: pyo.SigTo(p.default, time=p.smoothing, init=p.default) for p in mod.PARAMS}}
    ctx = Ctx(params)
    sig = mod.build(ctx)
    gain = pyo.SigTo(10 ** (LAYER_GAIN(layer) / 20), time=0.05)
    outs.append(pyo.Mix(sig, voices=nch, mul=gain))
    keep.extend([ctx, params, sig, gain])
    name = layer["name"]
    for p, obj in params.items():
        setters[name + "." + p] = obj.setValue
    setters[name + ".gain_db"] = (lambda g: lambda db: g.setValue(10 ** (db / 20)))(gain)
    for e in getattr(mod, "EVENTS", ()):
        for i, v in enumerate(ctx.voices):
            base = name + "." + e.name + "#" + str(i)
            setters[base + ".pan"] = v.pan.setValue
            setters[base + ".velocity"] = v.velocity.setValue
            setters[base + ".fire"] = (lambda t: lambda _x: t.play())(v.trig)
mix = pyo.Mix(outs, voices=nch).out()
"""

BARE_REPLAY = (
    BARE_COMMON.replace("TRIGGER(i)", "pyo.Trig()")
    .replace("VELOCITY", "0.0")
    .replace("LAYER_GAIN(layer)", "-40.0")
    + """
timeline = np.load({timeline!r})
names = timeline["names"].tolist()
calls = [setters.get(n, lambda v: None) for n in names]
blocks, targets = timeline["blocks"].tolist(), timeline["targets"].tolist()
values = timeline["values"].tolist()
state = {{"block": 0, "i": 0}}
def hook():
    b, i = state["block"], state["i"]
    while i < len(blocks) and blocks[i] <= b:
        calls[targets[i]](values[i]); i += 1
    state["block"], state["i"] = b + 1, i
s.setCallback(hook)
s.start()
print(json.dumps({{"wall": time.perf_counter() - started}}))
"""
)

BARE_STATIC = (
    BARE_COMMON.replace("TRIGGER(i)", "pyo.Metro(60 / 70).play(delay=i * 0.11)")
    .replace("VELOCITY", "0.75")
    .replace("LAYER_GAIN(layer)", "-10.0")
    + """
s.start()
print(json.dumps({{"wall": time.perf_counter() - started}}))
"""
)


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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--participants", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    d = args.duration
    results: dict[str, list[dict[str, float]]] = {"symphony": [], "replay": [], "static": []}
    with tempfile.TemporaryDirectory() as tmp:
        timeline = str(Path(tmp) / "timeline.npz")
        common = {"demo": str(DEMO), "root": str(ROOT), "duration": d, "timeline": timeline}
        for _ in range(args.runs):
            results["symphony"].append(
                run(
                    SYMPHONY_RUN.format(
                        out=str(Path(tmp) / "s.wav"), participants=args.participants, **common
                    )
                )
            )
            results["replay"].append(
                run(BARE_REPLAY.format(out=str(Path(tmp) / "r.wav"), **common))
            )
            results["static"].append(
                run(BARE_STATIC.format(out=str(Path(tmp) / "b.wav"), **common))
            )
    best = {k: min(v, key=lambda r: r["wall"]) for k, v in results.items()}
    base = best["replay"]["wall"]
    print(
        f"demo render, {d:g} s of audio, {args.participants} simulated participants, "
        f"best of {args.runs} runs each"
    )
    print()
    print("| run | wall time (s) | speed (x real time) | ratio to bare replay |")
    print("|---|---:|---:|---:|")
    rows = [
        ("bare pyo, static defaults", best["static"]["wall"]),
        ("bare pyo, same timeline replayed", base),
        ("symphony render (plan + engine)", best["symphony"]["wall"]),
    ]
    for label, wall in rows:
        print(f"| {label} | {wall:.1f} | {d / wall:.1f} | {wall / base:.2f} |")
    print(f"| of which symphony's control plan | {best['symphony']['plan']:.1f} | | |")
    print(f"| of which symphony's engine | {best['symphony']['render']:.1f} | | |")
    print()
    print("targets: symphony / bare replay <= 1.15; the 600 s demo in under 60 s")


if __name__ == "__main__":
    main()
