"""HN must-show runs: `hwgen simulate` (Verilator) of a 128 x 64 FP4 and a 96 x 48 MXFP4 (block 32)
Hardwired-Neuron array with int8 activations on user files, and the fabric of two different 128 x 64
FP4 matrices under one region_capacity. Prints times; exits non-zero on any mismatch.

    PYTHONPATH=. python benchmarks/hn_must_show.py [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from hwgen.weights import mxfp4


def run(*args, cwd):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hwgen.cli", *args], capture_output=True, text=True, cwd=cwd)
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - start, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None)
    out = Path(parser.parse_args().out or tempfile.mkdtemp(prefix="hn-must-show-"))
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    cases = {"fp4_128x64": ("fp4", mxfp4.quantize_fp4(1.5 * rng.standard_normal((128, 64)))),
             "mxfp4_96x48": ("mxfp4", mxfp4.quantize_mxfp4(rng.standard_normal((96, 48))))}
    for name, (fmt, w) in cases.items():
        np.save(out / f"{name}_W.npy", w.astype(np.float32))
        a = rng.integers(-128, 128, (32, w.shape[0]))
        a[0], a[1] = -128, 127
        np.save(out / f"{name}_A.npy", a)
        design = out / f"{name}.yaml"
        design.write_text(yaml.safe_dump({"kind": "hardwired", "architecture": "hn", "weights": fmt,
                                          "activation": "int8", "weights_file": f"{name}_W.npy"}))
        secs, text = run("simulate", design.name, "--weights", f"{name}_W.npy", "--activations", f"{name}_A.npy",
                         "--out", f"{name}_Y.npy", "--simulator", "verilator", cwd=out)
        y = np.load(out / f"{name}_Y.npy")
        exact = np.array_equal(y, a @ w)
        print(f"{name}: {text}; Y == A @ W (numpy float64): {exact}; {secs:.1f} s wall")
        if not exact:
            sys.exit(1)
    digests = []
    for seed in (1, 2):
        w = mxfp4.quantize_fp4(1.5 * np.random.default_rng(seed).standard_normal((128, 64)))
        np.save(out / f"fabric{seed}_W.npy", w)
        design = out / f"fabric{seed}.yaml"
        design.write_text(yaml.safe_dump({"kind": "hardwired", "architecture": "hn", "weights": "fp4",
                                          "weights_file": f"fabric{seed}_W.npy", "region_capacity": 40}))
        run("generate", design.name, "-o", f"fabric{seed}", cwd=out)
        digests.append([hashlib.sha256((out / f"fabric{seed}" / f).read_bytes()).hexdigest()[:16]
                        for f in ("hardwired_core_fabric.v", "hardwired_core_wiring.v")])
    print(f"fabric sha256 {digests[0][0]} / {digests[1][0]} (identical: {digests[0][0] == digests[1][0]}); "
          f"wiring {digests[0][1]} / {digests[1][1]} (different: {digests[0][1] != digests[1][1]})")


if __name__ == "__main__":
    main()
