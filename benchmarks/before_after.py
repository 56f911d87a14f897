"""Before/after check of a refactoring: Verilog, manifests and `hwgen estimate --json` of every
shipped design at two commits, compared file by file.

Each commit is exported with ``git archive`` into a temporary folder and runs the CLI
there (``hwgen generate DESIGN -o OUT`` and ``hwgen estimate DESIGN --json``), with the
same Python environment. A design is every ``designs/**/*.yaml`` with a ``kind:`` field
(spaces and workloads have none), named by its file name, so moving a file inside
``designs/`` keeps it compared, plus `FORMAT_DESIGNS`: small cores of every weight format
(no shipped design uses a non-ternary one). ``--sweeps`` adds two sweep reports: the
default space enumerated (``hwgen sweep --exhaustive``) and 60 trials of the built-in
all-families space (its tables and ``report.md``; plots and the study journal are not
compared). Prints one line per design and a unified diff of every file that differs;
exit 1 if any does.

    python benchmarks/before_after.py main HEAD [--tech osu018] [--sweeps] [--keep DIR]
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Small cores of every weight format (ragged N and M, several pipeline depths; ternary also
#: beside the shipped designs, at three group sizes),
#: written into both exported trees as designs/before_after/<name>.yaml.
FORMAT_DESIGNS = {
    f"{weights}_mu{mu}": {"kind": "lut", "weights": weights, "activation": act, "group_size": mu, "luts": 3,
                          "fetchers": 4, "pipeline": pipe, "workload": {"n": n, "m": 10}}
    for weights, mu, act, pipe, n in (("sherry", 4, "int8", 2, 44), ("ifairy", 2, "int8", 3, 23),
                                      ("int2", 4, "int4", 0, 19), ("int3", 3, "int8", 1, 25),
                                      ("int4", 2, "int4", 4, 17), ("binary", 3, "int8", 2, 21),
                                      ("ternary", 2, "int8", 1, 13), ("ternary", 3, "int4", 0, 19),
                                      ("ternary", 5, "int8", 3, 40))
}

#: Runs inside the exported tree: every design through the CLI, in one process.
DRIVER = r"""
import contextlib, io, json, sys
from pathlib import Path
import yaml
from hwgen import cli
out, tech, sweeps = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "sweeps"
designs = sorted(p for p in Path("designs").rglob("*.yaml")
                 if isinstance(yaml.safe_load(p.read_text()), dict) and "kind" in yaml.safe_load(p.read_text()))
for path in designs:
    folder = out / path.stem
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["generate", str(path), "-o", str(folder)])
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        cli.main(["estimate", str(path), "--tech", tech, "--json"])
    (folder / "estimate.json").write_text(text.getvalue())
    print(path.stem, file=sys.stderr)
if sweeps:
    cli.main(["sweep", "--exhaustive", "--quiet", "--out", str(out / "sweep_default")])
    cli.main(["sweep", "all_families", "--trials", "60", "--quiet", "--out", str(out / "sweep_all_families")])
    for folder in (out / "sweep_default", out / "sweep_all_families"):
        (folder / "study.journal").unlink(missing_ok=True)
"""


def export(rev: str, dest: Path) -> None:
    """The tree of ``rev`` in ``dest`` (no checkout, no change to the repository)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def outputs(rev: str, work: Path, tech: str, sweeps: bool) -> Path:
    """Outputs of ``rev``, run from ``work/tree`` (the same path for both commits: sweep manifests
    name their space file); the tree is then kept as ``tree-<rev>``."""
    tree, label = work / "tree", rev.replace("/", "_")
    out = work / f"out-{label}"
    export(rev, tree)
    extra = tree / "designs" / "before_after"
    extra.mkdir()
    for name, design in FORMAT_DESIGNS.items():
        (extra / f"{name}.yaml").write_text(json.dumps(design))  # JSON is YAML
    subprocess.run([sys.executable, "-c", DRIVER, str(out), tech, "sweeps" if sweeps else ""], cwd=tree, check=True,
                   env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "HOME": str(work)})
    tree.rename(work / f"tree-{label}")
    return out


def _lines(path: Path) -> list[str]:
    text = path.read_text()
    if path.suffix == ".json":  # manifests name tool versions of this run: equal on both sides
        text = json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"
    return text.splitlines(keepends=True)


def compare(a: Path, b: Path, label_a: str, label_b: str) -> int:
    differing = 0
    for design in sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()}):
        files = sorted({p.name for p in (a / design).glob("*") if not p.is_dir()}
                       | {p.name for p in (b / design).glob("*") if not p.is_dir()})
        bad = []
        for name in files:
            fa, fb = a / design / name, b / design / name
            if not (fa.is_file() and fb.is_file()):
                bad.append(f"{name} (only in {label_a if fa.is_file() else label_b})")
            elif fa.read_bytes() != fb.read_bytes():
                bad.append(name)
                sys.stdout.writelines(difflib.unified_diff(_lines(fa), _lines(fb), f"{label_a}/{design}/{name}",
                                                           f"{label_b}/{design}/{name}", n=1))
        differing += bool(bad)
        print(f"{design}: " + ("identical (" + ", ".join(files) + ")" if not bad else "DIFFERS: " + ", ".join(bad)))
    return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--tech", default="osu018")
    parser.add_argument("--sweeps", action="store_true", help="also compare two sweep reports")
    parser.add_argument("--keep", type=Path, help="write the outputs here instead of a temporary folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hwgen-before-after-") as tmp:
        work = args.keep or Path(tmp)
        a = outputs(args.before, work, args.tech, args.sweeps)
        b = outputs(args.after, work, args.tech, args.sweeps)
        differing = compare(a, b, args.before, args.after)
    print(f"{differing} design(s) differ between {args.before} and {args.after}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
