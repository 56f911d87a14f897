"""Bad inputs a user can give the CLI: every one exits 2 with one line on stderr, no traceback,
before any long work, and leaves the folder exactly as it was (nothing created, nothing touched).

Cases run in-process through `hwgen.cli.main` (one process for all); a few run as real
processes for what only a process shows (exit status, a closed pipe, what ``--help`` imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from hwgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"kind": "lut", "weights": "ternary", "activation": "int8", "group_size": 3, "luts": 4, "fetchers": 8,
        "pipeline": 1, "workload": {"n": 300, "m": 70}}
GOOD_TEXT = yaml.safe_dump(GOOD, sort_keys=False)
SPACE = {"name": "tiny", "workload": {"name": "t", "gemvs": [{"name": "a", "n": 256, "m": 128, "count": 2}]},
         "parameters": {"group_size": [2, 3], "luts": [1, 2, 4], "fetchers": [1, 2, 4], "pipeline": [0, 1]},
         "objectives": ["area_mm2", "energy_per_token_uj", "tokens_per_s"],
         "constraints": {"max_area_mm2": 5}, "search": {"trials": 5, "population": 4}}
HARDWIRED = {"kind": "hardwired", "weights": "ternary", "activation": "int8", "workload": {"n": 96, "m": 40}}
#: A folder no process may create files in, root included (sysfs is read-only).
READ_ONLY = "/sys/hwgen-test"


def _design(**changes) -> str:
    raw = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            raw.pop(key)
        else:
            raw[key] = value
    return yaml.safe_dump(raw, sort_keys=False)


#: Design files that must be refused: name -> file text (str) or bytes.
DESIGNS: dict[str, str | bytes] = {
    "binary": bytes(range(256)) * 4,
    "latin1": "kind: lut\nweights: ternary  # caf\xe9\n".encode("latin-1"),
    "nul": b"kind: lut\n\x00\x00luts: 4\n",
    "syntax": GOOD_TEXT + "luts: [1, 2\n",
    "tab_indent": "kind: lut\nworkload:\n\tn: 3\n",
    "duplicate_key": GOOD_TEXT + "luts: 8\n",
    "duplicate_nested": GOOD_TEXT.replace("m: 70", "m: 70\n  n: 5"),
    "empty": "",
    "list_top": "- kind: lut\n",
    "scalar_top": "lut\n",
    "no_kind": _design(kind=...),
    "kind_bad": _design(kind="gpu"),
    "kind_list": _design(kind=["lut"]),
    "kind_null": _design(kind=None),
    "luts_zero": _design(luts=0),
    "luts_negative": _design(luts=-4),
    "luts_float": _design(luts=1.5),
    "luts_string": _design(luts="8"),
    "luts_bool": _design(luts=True),
    "luts_billion": _design(luts=1_000_000_000),
    "luts_65536": _design(luts=65536),
    "fetchers_zero": _design(fetchers=0),
    "fetchers_huge": _design(fetchers=10**7),
    "group_zero": _design(group_size=0),
    "group_nine": _design(group_size=9),
    "pipeline_negative": _design(pipeline=-1),
    "pipeline_deep": _design(pipeline=99),
    "activation_bad": _design(activation="int3"),
    "activation_list": _design(activation=["int8"]),
    "weights_bad": _design(weights="quaternary"),
    "no_workload": _design(workload=...),
    "workload_string": _design(workload="big"),
    "workload_n_zero": _design(workload={"n": 0, "m": 70}),
    "workload_m_negative": _design(workload={"n": 300, "m": -1}),
    "workload_extra": _design(workload={"n": 300, "m": 70, "k": 2}),
    "unknown_field": _design(lutz=8),
    "accumulator_narrow": _design(accumulator_width=4),
    "space_as_design": yaml.safe_dump(SPACE),
    "hw_weights_missing": yaml.safe_dump({**HARDWIRED, "weights_file": "nope.npy"}),
    "hw_weights_folder": yaml.safe_dump({**HARDWIRED, "weights_file": "folder"}),
    "hw_weights_text": yaml.safe_dump({**HARDWIRED, "weights_file": "text.npy"}),
    "hw_format_bad": yaml.safe_dump({**HARDWIRED, "weights": "int9"}),
    "hw_sharing_bad": yaml.safe_dump({**HARDWIRED, "sharing": "maybe"}),
}

#: Space files that must be refused.
SPACES: dict[str, str | bytes] = {
    "s_binary": bytes(range(256)),
    "s_duplicate": yaml.safe_dump(SPACE) + "name: again\n",
    "s_syntax": "name: x\nparameters: {luts: [1, 2}\n",
    "s_objectives_string": yaml.safe_dump({**SPACE, "objectives": "area_mm2"}),
    "s_objectives_one": yaml.safe_dump({**SPACE, "objectives": ["area_mm2"]}),
    "s_objectives_unknown": yaml.safe_dump({**SPACE, "objectives": ["area_mm2", "speed"]}),
    "s_no_workload": yaml.safe_dump({k: v for k, v in SPACE.items() if k != "workload"}),
    "s_range_reversed": yaml.safe_dump({**SPACE, "parameters": {**SPACE["parameters"], "luts": {"min": 8, "max": 2}}}),
    "s_constraint_unknown": yaml.safe_dump({**SPACE, "constraints": {"max_speed": 3}}),
    "s_design_as_space": GOOD_TEXT,
}

#: Program files (`hwgen simulate --program`) that must be refused; paths relative to the work folder.
_GEMV = {"weights": "W.npy", "activations": "A.npy", "out": "Yp.npy"}
PROGRAMS: dict[str, str] = {
    "p_good": yaml.safe_dump({"gemvs": [_GEMV]}),
    "p_syntax": "gemvs: [{weights: W.npy\n",
    "p_no_gemvs": yaml.safe_dump({"steps": [_GEMV]}),
    "p_empty": yaml.safe_dump({"gemvs": []}),
    "p_entry_string": yaml.safe_dump({"gemvs": ["W.npy"]}),
    "p_unknown_key": yaml.safe_dump({"gemvs": [{**_GEMV, "bias": "b.npy"}]}),
    "p_no_out": yaml.safe_dump({"gemvs": [{"weights": "W.npy", "activations": "A.npy"}]}),
    "p_weights_missing": yaml.safe_dump({"gemvs": [{**_GEMV, "weights": "nope.npy"}]}),
    "p_weights_text": yaml.safe_dump({"gemvs": [{**_GEMV, "weights": "text.npy"}]}),
    "p_out_directory": yaml.safe_dump({"gemvs": [{**_GEMV, "out": "folder"}]}),
    "p_out_twice": yaml.safe_dump({"gemvs": [_GEMV, _GEMV]}),
    "p_beyond_maxima": yaml.safe_dump({"gemvs": [{**_GEMV, "weights": "Wbig.npy", "activations": "Abig.npy"}]}),
}


def _cases() -> list[tuple[str, list[str]]]:
    cases = []
    for name in DESIGNS:
        if name != "fetchers_huge":  # counted in microseconds; only elaboration would take hours
            cases.append((f"estimate-{name}", ["estimate", f"{name}.yaml"]))
        cases.append((f"generate-{name}", ["generate", f"{name}.yaml", "-o", "out"]))
    for name in SPACES:
        cases.append((f"sweep-{name}", ["sweep", f"{name}.yaml", "--out", "out", "--quiet"]))
    for name in PROGRAMS:
        if name != "p_good":
            cases.append((f"simulate-program-{name}", ["simulate", "good.yaml", "--program", f"{name}.yaml"]))
    for value in ("0", "-100", "nan", "inf", "-inf", "1e9", "abc", ""):
        cases.append((f"estimate-clock-{value or 'empty'}", ["estimate", "good.yaml", "--clock-mhz", value]))
    for value in ("0", "-10", "nan", "inf"):
        cases.append((f"generate-clock-{value}", ["generate", "good.yaml", "-o", "out", "--clock-mhz", value]))
        cases.append((f"synth-clock-{value}", ["synth", "good.yaml", "--clock-mhz", value]))
    sim = ["simulate", "good.yaml", "--weights", "W.npy", "--activations", "A.npy", "--out", "Y.npy"]

    def swap(args, flag, value):
        out = list(args)
        out[out.index(flag) + 1] = value
        return out

    cases += [
        ("estimate-missing", ["estimate", "nope.yaml"]),
        ("estimate-directory", ["estimate", "folder"]),
        ("generate-directory", ["generate", "folder", "-o", "out"]),
        ("synth-directory", ["synth", "folder"]),
        ("synth-too-large", ["synth", "luts_65536.yaml"]),
        ("synth-liberty-missing", ["synth", "good.yaml", "--liberty", "nope.lib"]),
        ("synth-liberty-directory", ["synth", "good.yaml", "--liberty", "folder"]),
        ("estimate-tech-missing", ["estimate", "good.yaml", "--tech", "nope.json"]),
        ("generate-out-is-file", ["generate", "good.yaml", "-o", "existing.txt"]),
        ("generate-out-under-file", ["generate", "good.yaml", "-o", "existing.txt/sub"]),
        ("generate-out-read-only", ["generate", "good.yaml", "-o", READ_ONLY]),
        ("simulate-design-directory", swap(sim, "simulate", "simulate")[:1] + ["folder"] + sim[2:]),
        ("simulate-weights-missing", swap(sim, "--weights", "nope.npy")),
        ("simulate-weights-directory", swap(sim, "--weights", "folder")),
        ("simulate-weights-text", swap(sim, "--weights", "text.npy")),
        ("simulate-weights-yaml", swap(sim, "--weights", "good.yaml")),
        ("simulate-weights-truncated", swap(sim, "--weights", "truncated.npy")),
        ("simulate-weights-strings", swap(sim, "--weights", "strings.npy")),
        ("simulate-weights-empty", swap(sim, "--weights", "W0.npy")),
        ("simulate-weights-two", swap(sim, "--weights", "W2.npy")),
        ("simulate-weights-shape", swap(sim, "--weights", "Wshape.npy")),
        ("simulate-activations-missing", swap(sim, "--activations", "nope.npy")),
        ("simulate-activations-zero-rows", swap(sim, "--activations", "A0.npy")),
        ("simulate-activations-columns", swap(sim, "--activations", "Acols.npy")),
        ("simulate-activations-range", swap(sim, "--activations", "Arange.npy")),
        ("simulate-activations-3d", swap(sim, "--activations", "A3d.npy")),
        ("simulate-out-directory", swap(sim, "--out", "folder")),
        ("simulate-out-read-only", swap(sim, "--out", f"{READ_ONLY}/Y.npy")),
        ("simulate-out-under-file", swap(sim, "--out", "existing.txt/Y.npy")),
        ("simulate-simulator-bad", sim + ["--simulator", "modelsim"]),
        ("simulate-no-activations", ["simulate", "good.yaml", "--weights", "W.npy", "--out", "Y.npy"]),
        ("simulate-program-and-weights", ["simulate", "good.yaml", "--program", "p_good.yaml", "--weights", "W.npy"]),
        ("simulate-program-missing", ["simulate", "good.yaml", "--program", "nope.yaml"]),
        ("sweep-missing", ["sweep", "nope.yaml", "--out", "out"]),
        ("sweep-directory", ["sweep", "folder/", "--out", "out"]),
        ("sweep-out-is-file", ["sweep", "space.yaml", "--out", "existing.txt"]),
        ("sweep-out-read-only", ["sweep", "space.yaml", "--out", READ_ONLY]),
        ("sweep-storage-garbage", ["sweep", "space.yaml", "--out", "out", "--storage", "existing.txt"]),
        ("sweep-storage-binary", ["sweep", "space.yaml", "--out", "out", "--storage", "W.npy"]),
        ("sweep-storage-directory", ["sweep", "space.yaml", "--out", "out", "--storage", "folder"]),
        ("sweep-storage-read-only", ["sweep", "space.yaml", "--out", "out", "--storage", f"{READ_ONLY}/s.journal"]),
        ("sweep-storage-bad-url", ["sweep", "space.yaml", "--out", "out", "--storage", "sqlite:////nope/dir/x.db"]),
        ("sweep-storage-unknown-scheme", ["sweep", "space.yaml", "--out", "out", "--storage", "nosuchdb://x/y"]),
        ("sweep-trials-zero", ["sweep", "space.yaml", "--out", "out", "--trials", "0"]),
        ("sweep-trials-negative", ["sweep", "space.yaml", "--out", "out", "--trials", "-5"]),
        ("sweep-trials-text", ["sweep", "space.yaml", "--out", "out", "--trials", "many"]),
        ("sweep-jobs-zero", ["sweep", "space.yaml", "--out", "out", "--jobs", "0"]),
        ("sweep-seed-negative", ["sweep", "space.yaml", "--out", "out", "--seed", "-1"]),
        ("sweep-exhaustive-and-search", ["sweep", "space.yaml", "--out", "out", "--exhaustive", "--search"]),
        ("sweep-seed-changed", ["sweep", "space.yaml", "--out", "prior", "--trials", "6", "--seed", "7", "--quiet"]),
        ("sweep-unknown-shipped-space", ["sweep", "no_such_space", "--out", "out"]),
        ("command-unknown", ["frobnicate"]),
        ("command-missing", []),
        ("option-unknown", ["estimate", "good.yaml", "--fast"]),
        ("generate-no-out", ["generate", "good.yaml"]),
        ("cache-option-unknown", ["cache", "--purge"]),
    ]
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """One folder holding every input the cases name (paths in the cases are relative to it)."""
    from dse.sweep import run_sweep

    work = tmp_path_factory.mktemp("bad-inputs")
    for name, text in {**DESIGNS, **SPACES, **PROGRAMS}.items():
        path = work / f"{name}.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    (work / "good.yaml").write_text(GOOD_TEXT)
    (work / "space.yaml").write_text(yaml.safe_dump(SPACE))
    (work / "folder").mkdir()
    (work / "existing.txt").write_text("a file the user keeps\n")
    (work / "text.npy").write_text("1 2 3\n4 5 6\n")
    rng = np.random.default_rng(0)
    w = rng.integers(-1, 2, (300, 70)).astype(np.int8)
    np.save(work / "W.npy", w)
    (work / "truncated.npy").write_bytes((work / "W.npy").read_bytes()[:200])
    np.save(work / "strings.npy", np.array([["a", "b"], ["c", "d"]]))
    np.save(work / "W0.npy", np.zeros((0, 70), np.int8))
    w2 = w.copy()
    w2[3, 4] = 2
    np.save(work / "W2.npy", w2)
    np.save(work / "Wshape.npy", w[:30])
    np.save(work / "A.npy", rng.integers(-128, 128, (2, 300)))
    np.save(work / "A0.npy", np.zeros((0, 300), np.int64))
    np.save(work / "Acols.npy", np.zeros((2, 299), np.int64))
    np.save(work / "Arange.npy", np.full((2, 300), 300, np.int64))
    np.save(work / "A3d.npy", np.zeros((2, 2, 300), np.int64))
    np.save(work / "Wbig.npy", rng.integers(-1, 2, (400, 70)).astype(np.int8))  # n beyond the core's maxima
    np.save(work / "Abig.npy", rng.integers(-128, 128, (2, 400)))
    run_sweep(str(work / "space.yaml"), trials=5, out_dir=str(work / "prior"), exhaustive=False, progress=False)
    return work


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root``; for files also size, modification time and content (a folder's
    own time moves when a lock file comes and goes in it, which leaves nothing behind)."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            snap[str((Path(dirpath) / name).relative_to(root))] = "folder"
        for name in filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            snap[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns, path.read_bytes())
    return snap


def test_there_are_at_least_100_cases():
    assert len(CASES) >= 100 and len({name for name, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("argv", [argv for _, argv in CASES], ids=[name for name, _ in CASES])
def test_bad_input_one_line_exit_2_nothing_left(argv, workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(workdir.parent / "cache"))  # a simulator build is not "left behind"
    before = _snapshot(workdir)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.endswith("\n") and "Traceback" not in err, err
    assert err.startswith("hwgen"), err
    assert _snapshot(workdir) == before


def _run(*args, cwd, **kwargs):
    return subprocess.run([sys.executable, "-m", "hwgen.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, **kwargs)


def test_a_real_process_exits_2_with_one_line(tmp_path):
    (tmp_path / "d.yaml").write_text(GOOD_TEXT + "luts: 8\n")
    run = _run("estimate", "d.yaml", cwd=tmp_path)
    assert run.returncode == 2 and run.stderr == ("hwgen estimate: error: d.yaml: line 11, column 1: "
                                                  "key 'luts' is written twice (first on line 5)\n")


def test_output_closed_early_is_not_a_traceback(tmp_path):
    """``hwgen estimate d.yaml | head -1``: the reader is gone before the output is written
    (closed here at once, so the write surely fails with a broken pipe)."""
    (tmp_path / "d.yaml").write_text(GOOD_TEXT)
    proc = subprocess.Popen([sys.executable, "-m", "hwgen.cli", "estimate", "d.yaml"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait()
    assert err == "" and proc.returncode == 0, (proc.returncode, err)


def test_help_and_path_errors_load_no_generator(tmp_path):
    """--help and a missing file answer before Amaranth, numpy or the sweep machinery are imported."""
    code = ("import sys; from hwgen.cli import main\n"
            "for argv in (['--help'], ['estimate', 'nope.yaml'], ['sweep', 'nope.yaml'], ['generate', 'x.yaml', '-o', 'o']):\n"
            "    try: main(argv)\n"
            "    except SystemExit: pass\n"
            "print(sorted(m for m in ('amaranth', 'numpy', 'optuna', 'pandas', 'matplotlib') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stdout + run.stderr


# -- simulate: data that does not fit the design is refused before the design is elaborated ----

#: One small design per family `hwgen simulate` runs, with good operands ``(W or None, A)``.
_RNG = np.random.default_rng(1)
SIM_FAMILIES = {
    "lut-ternary": (GOOD, _RNG.integers(-1, 2, (300, 70)).astype(np.int8), _RNG.integers(-128, 128, (2, 300))),
    "lut-int4": ({"kind": "lut", "weights": "int4", "activation": "int8", "group_size": 2, "luts": 2, "fetchers": 4,
                  "workload": {"n": 64, "m": 16}},
                 _RNG.integers(-8, 8, (64, 16)).astype(np.int8), _RNG.integers(-128, 128, (2, 64))),
    "lut-fp16": ({"kind": "lut", "weights": "ternary", "activation": "fp16", "group_size": 3, "luts": 2,
                  "fetchers": 4, "workload": {"n": 48, "m": 16}},
                 _RNG.integers(-1, 2, (48, 16)).astype(np.int8), _RNG.standard_normal((2, 48)).astype(np.float16)),
    "mac-fp16": ({"kind": "mac", "weights": "fp16", "activation": "fp16", "rows": 4, "columns": 4,
                  "workload": {"n": 64, "m": 16}},
                 _RNG.standard_normal((64, 16)).astype(np.float16), _RNG.standard_normal((2, 64)).astype(np.float16)),
    "hardwired": (HARDWIRED, None, _RNG.integers(-128, 128, (2, 96))),
    "hardwired-hn": ({"kind": "hardwired", "architecture": "hn", "weights": "fp4", "activation": "int8", "seed": 1,
                      "workload": {"n": 32, "m": 8}}, None, _RNG.integers(-128, 128, (2, 32))),
}


def _bad_operands(case: str, w, a):
    """``(W, A)`` spoiled one way: a shape, a 3-D array or a value out of the format's range."""
    if case == "acts-columns":
        return w, a[:, :-1]
    if case == "acts-3d":
        return w, a[None]
    if case == "acts-range":
        return w, np.full(a.shape, 0.1) if a.dtype.kind == "f" else np.full(a.shape, 300)  # 0.1: not an fp16 value
    if case == "weights-rows":
        return w[:-1], a
    if case == "weights-3d":
        return w[None], a
    raise AssertionError(case)


def _no_elaboration(monkeypatch):
    """Make every way `simulate` reaches Verilog fail the test: the design build (cached or not),
    Amaranth conversion and the hardwired generator."""
    import hwgen.families

    def elaborated(*args, **kwargs):
        raise AssertionError("the design was elaborated before its operands were checked")

    for name in ("build", "convert", "generate_design"):
        monkeypatch.setattr(hwgen.families, name, elaborated)


_SIM_CASES = [(family, case) for family, (_, w, _) in SIM_FAMILIES.items()
              for case in ("acts-columns", "acts-3d", "acts-range")
              + ("weights-rows", "weights-3d")]


@pytest.mark.parametrize("family, case", _SIM_CASES, ids=[f"{f}-{c}" for f, c in _SIM_CASES])
def test_simulate_checks_operands_before_elaborating(family, case, tmp_path, monkeypatch, capsys):
    raw, w, a = SIM_FAMILIES[family]
    if w is None and case.startswith("weights"):  # a hardwired array's --weights must be its own matrix
        from hwgen.config import parse_design
        from hwgen.hardwired.config import load_values

        w = load_values(parse_design(raw))
    w, a = _bad_operands(case, w, a)
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(raw))
    np.save(tmp_path / "A.npy", a)
    argv = ["simulate", str(tmp_path / "d.yaml"), "--activations", str(tmp_path / "A.npy"),
            "--out", str(tmp_path / "Y.npy")]
    if w is not None:
        np.save(tmp_path / "W.npy", w)
        argv += ["--weights", str(tmp_path / "W.npy")]
    _no_elaboration(monkeypatch)
    before = _snapshot(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("hwgen simulate: error: ") and "Traceback" not in err, err
    assert not (tmp_path / "Y.npy").exists() and _snapshot(tmp_path) == before


def test_simulate_program_checks_every_gemv_before_elaborating(tmp_path, monkeypatch, capsys):
    """A program's last GEMV has too few activations: refused before the core is elaborated."""
    raw = {**GOOD, "workload": {"max_n": 300, "max_m": 70}}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(raw))
    _, w, a = SIM_FAMILIES["lut-ternary"]
    np.save(tmp_path / "W.npy", w)
    np.save(tmp_path / "A.npy", a)
    np.save(tmp_path / "Abad.npy", a[:, :-1])
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"gemvs": [
        {"weights": "W.npy", "activations": "A.npy", "out": "y1.npy"},
        {"name": "bad", "weights": "W.npy", "activations": "Abad.npy", "out": "y2.npy"}]}))
    _no_elaboration(monkeypatch)
    before = _snapshot(tmp_path)
    code = main(["simulate", str(tmp_path / "d.yaml"), "--program", str(tmp_path / "p.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "GEMV bad: activations have 299 columns" in err, err
    assert _snapshot(tmp_path) == before
