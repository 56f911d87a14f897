"""Benchmark: the default sweep's front before and after the per-token account counts the LM head and DRAM.

The default space (`hwgen sweep` with no arguments: BitNet b1.58 2B4T decode, osu018,
100 GB/s) is enumerated with the vectorized model, as ``hwgen sweep --exhaustive`` does.

- *before*: the account as it was: the LM head excluded, no DRAM energy (this code with
  ``lm_head: {serve: exclude}``, less the DRAM term; ``--base DIR`` re-prices the same
  designs with an older checkout's code and reports the largest difference, which must be 0)
- *after*: the default account: the tied bf16 head streamed to a dense unit (656.7 MB per
  token), every streamed bit at the space's memory (HBM2, 3.9 pJ/bit)

For the designs of each front it prints tokens/s and energy per token, and for the
*before* front's designs what the *after* account says of them (worst case beside mean).

Run: ``.venv/bin/python benchmarks/per_token_account.py [--base DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dse.evaluate import evaluate, violations  # noqa: E402
from dse.pareto import nondominated, objective_matrix  # noqa: E402
from dse.space import load_space  # noqa: E402
from dse.workload import LmHead  # noqa: E402

_BASE_SCRIPT = """
import json, sys, numpy as np
from dse.evaluate import evaluate
from dse.space import load_space
points = {k: np.array(v) for k, v in json.loads(sys.stdin.read()).items()}
m = evaluate(load_space(), points)
print(json.dumps({k: np.asarray(m[k], dtype=float).tolist() for k in ("tokens_per_s", "energy_per_token_uj")}))
"""


def front(space, metrics) -> np.ndarray:
    feasible = np.all(violations(space, metrics) <= 0, axis=1)
    mask = np.zeros(feasible.shape, dtype=bool)
    idx = np.flatnonzero(feasible)
    mask[idx] = nondominated(objective_matrix({k: np.asarray(v)[idx] for k, v in metrics.items()}, space.objectives))
    return mask


def spread(values: np.ndarray, fmt: str) -> str:
    return " / ".join(format(v, fmt) for v in (values.min(), np.median(values), values.max()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", metavar="DIR", help="an older checkout whose code prices the 'before' designs")
    args = ap.parse_args()

    space = load_space()
    grid = space.grid()
    after = evaluate(space, grid)
    head = space.workload.head
    excluded = replace(space, workload=replace(space.workload, head=LmHead(head.n, head.m, head.weights, "exclude")))
    before = evaluate(excluded, grid)
    before["energy_per_token_uj"] = before["energy_per_token_uj"] - before["dram_uj_per_token"]
    fb, fa = front(space, before), front(space, after)

    print(f"default space: {len(grid['luts']):,} designs; {space.workload.account()}; memory {space.memory}\n")
    print("| account | front designs | tokens/s (min / median / max) | energy per token, mJ (min / median / max) "
          "| MB per token (min / max) |")
    print("|---|---:|---|---|---|")
    for name, m, f in (("before: head excluded, no DRAM energy", before, fb),
                       ("after, the same designs", after, fb),
                       ("after: head streamed, DRAM energy (its own front)", after, fa)):
        print(f"| {name} | {f.sum()} | {spread(m['tokens_per_s'][f], '.1f')} | "
              f"{spread(m['energy_per_token_uj'][f] / 1e3, '.2f')} | "
              f"{m['mbytes_per_token'][f].min():,.0f} / {m['mbytes_per_token'][f].max():,.0f} |")
    tps = after["tokens_per_s"][fb] / before["tokens_per_s"][fb]
    energy = after["energy_per_token_uj"][fb] / before["energy_per_token_uj"][fb]
    dram = after["dram_uj_per_token"][fa] / after["energy_per_token_uj"][fa]
    print(f"\nbefore-front designs under the new account: tokens/s x{tps.mean():.3f} on average, "
          f"x{tps.min():.3f} at worst; energy per token x{energy.mean():.1f} on average, x{energy.max():.1f} "
          f"at worst; DRAM share of energy on the new front: {100 * dram.mean():.0f}% mean, "
          f"{100 * dram.min():.0f}-{100 * dram.max():.0f}%; head on the dense unit "
          f"{after['head_uj_per_token'][0] / 1e3:.2f} mJ per token")

    if args.base:
        payload = json.dumps({k: np.asarray(v).tolist() for k, v in grid.items()})
        env = {**os.environ, "PYTHONPATH": str(Path(args.base).resolve())}
        out = subprocess.run([sys.executable, "-c", _BASE_SCRIPT], input=payload, capture_output=True, text=True,
                             env=env, cwd=args.base, check=True)
        base = {k: np.array(v) for k, v in json.loads(out.stdout).items()}
        worst = max(float(np.max(np.abs(base[k] / before[k] - 1))) for k in base)
        print(f"\n--base {args.base}: largest relative difference from 'before' over all {len(base['tokens_per_s']):,} "
              f"designs (tokens/s, energy per token): {worst:.2e}")


if __name__ == "__main__":
    main()
