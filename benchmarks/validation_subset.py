"""Re-synthesize the suite's model-vs-synthesis subset and rewrite its committed report.

    python benchmarks/validation_subset.py [--jobs 2]

`tests/test_model_vs_synth.py` holds the subset (``SUBSET``) and checks that synthesis
reproduces ``reports/validation/programmable/subset/validation.csv`` exactly: run this when
the generated RTL changes on purpose, then update the test's ``TODAY`` from the report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from costmodel.validate import validate  # noqa: E402  (after the path insert)
from test_model_vs_synth import REPORT, SUBSET  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    _, summary = validate("osu018", SUBSET, jobs=args.jobs, out_dir=REPORT.parent)
    print(f"wrote {REPORT.parent}: " + ", ".join(f"{q} MAPE {v['mape_pct']:.2f}% worst {v['worst_pct']:.2f}%"
                                                 for q, v in summary.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
