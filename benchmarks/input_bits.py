"""External input bits per decode token, before and after the activation buffer.

    python benchmarks/input_bits.py [--trials 300]

Runs the default sweep (BitNet b1.58 2B4T decode, ternary LUT cores, int8) and, for three
of its Pareto designs (smallest area, lowest energy per token, most tokens per second),
counts the bits entering the core per token with `hwgen.schedule.input_bits`:

* before: the fixed-shape core took one activation beat (``L*mu`` int8 lanes) beside every
  key beat, so a GEMV's activation vector entered ``ceil(m / K)`` times;
* after: the programmable core takes one command (``n``, ``m``), each activation vector
  once (``ceil(n / (L*mu))`` beats) and the key beats (``L*K`` keys of ``key_width(mu)`` bits).

Prints a Markdown table (BENCHMARKS.md quotes it).
"""

from __future__ import annotations

import argparse
import tempfile

from dse.evaluate import workload_maxima
from dse.space import load_space
from dse.sweep import run_sweep
from hwgen.formats import key_width
from hwgen.schedule import command_bits, input_bits

ACT_BITS = 8  # int8 activations (the default space)


def token_parts(workload, mu: int, L: int, K: int) -> dict:
    """Bits per token by port: keys, activations without / with the buffer, commands."""
    cmd = sum(command_bits(*workload_maxima(workload)))
    act, key = L * mu * ACT_BITS, L * K * key_width(mu)

    def total(act_beat, key_beat, cmd_bits, buffered=True):
        return sum(g.count * int(input_bits(g.n, g.m, L * mu, K, act_beat, key_beat, cmd_bits, buffered))
                   for g in workload.gemvs)

    return {"keys": total(0, key, 0), "act_before": total(act, 0, 0, buffered=False),
            "act_after": total(act, 0, 0), "cmd": total(0, 0, cmd)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args(argv)
    space = load_space(None)
    with tempfile.TemporaryDirectory() as tmp:
        res = run_sweep(None, trials=args.trials, out_dir=tmp, progress=False)
    front = res.pareto
    picks = {"smallest area": front["area_mm2"].idxmin(), "lowest energy": front["energy_per_token_uj"].idxmin(),
             "most tokens/s": front["tokens_per_s"].idxmax()}
    print(f"workload: {space.workload.name}, {space.workload.gemvs_per_token} GEMVs and "
          f"{space.workload.weights_per_token:,} weights per token; {res.trials} trials, {len(front)} Pareto designs\n")
    print("| design | mu | L | K | pipeline | area mm^2 | tokens/s | input Mbit/token before | after | "
          "activations before -> after (Mbit) | reduction |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, i in picks.items():
        row = front.loc[i]
        mu, L, K = int(row["group_size"]), int(row["luts"]), int(row["fetchers"])
        bits = token_parts(space.workload, mu, L, K)
        before = bits["keys"] + bits["act_before"]
        after = bits["keys"] + bits["act_after"] + bits["cmd"]
        print(f"| {label} ({row['design']}) | {mu} | {L} | {K} | {int(row['pipeline'])} | {row['area_mm2']:.2f} | "
              f"{row['tokens_per_s']:.1f} | {before / 1e6:.1f} | {after / 1e6:.1f} | "
              f"{bits['act_before'] / 1e6:.1f} -> {bits['act_after'] / 1e6:.2f} | {before / after:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
