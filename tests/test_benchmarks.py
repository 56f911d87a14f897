"""`python -m benchmarks` stays runnable: its quick mode (the CI-sized sections, about half a
minute) regenerates a BENCHMARKS.md that names its commit and machine, and every section is
registered with a loadable function."""

import re
import subprocess
import sys
from pathlib import Path

from benchmarks.registry import SECTIONS
from benchmarks.regenerate import existing_blocks, machine

ROOT = Path(__file__).resolve().parents[1]
QUICK = tuple(s.key for s in SECTIONS if s.quick)


def test_every_section_is_registered_once_and_loads():
    keys = [s.key for s in SECTIONS]
    assert len(keys) == len(set(keys))
    for s in SECTIONS:
        assert callable(s.load()), s.key


def test_quick_mode_regenerates_a_dated_file(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    commit = machine(ROOT).commit
    assert f"Regenerated at commit **{commit}**" in text and "cores, load average" in text
    blocks = existing_blocks(out)
    assert set(blocks) == set(QUICK)
    assert all(meta["commit"] == commit and meta["mode"] == "quick" for meta, _ in blocks.values())
    # Figures come from this run: the LUT-build table carries the named baselines' counts.
    assert re.search(r"\| 4 \| 40 \| 36 \| 68 \| 47% fewer \| 120 \| 70% fewer \|", blocks["lut-build"][1])
    assert "| 12 held out for this model" in blocks["validation"][1]
    # Sections not run are placeholders naming their command, never stale figures.
    assert "`python -m benchmarks --only hardwired`" in text


def test_unknown_section_is_one_line_and_exit_2(tmp_path):
    out = tmp_path / "B.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "nope", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "no benchmark section 'nope'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()


def test_only_generated_files_leave_the_commit_clean(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    for name in ("BENCHMARKS.md", "code.py"):
        (tmp_path / name).write_text("x\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    (tmp_path / "BENCHMARKS.md").write_text("regenerated\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r.md").write_text("regenerated\n")
    code_commit = machine(tmp_path).commit
    assert not code_commit.endswith("+dirty")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "figures")
    assert machine(tmp_path).commit == code_commit  # committing figures does not date them
    (tmp_path / "code.py").write_text("changed\n")
    assert machine(tmp_path).commit.endswith("+dirty")
