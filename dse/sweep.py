"""`run_sweep`: the design-space search behind ``hwgen sweep``, as one Python function.

Stages, in order: load the space -> search (Optuna workers on one storage) or
enumerate (exhaustive) -> collect trials and the Pareto front -> exhaustive
reference front and hypervolumes -> report in a staging folder -> optional RTL and
synthesis of Pareto designs -> publish (manifest last).
"""

from __future__ import annotations

import multiprocessing
import json
import shutil
import sys
import time
import uuid
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from costmodel.batch import check_cluster, map_batch
from costmodel.synth import FLOW_TOOLS
from costmodel.synth_target import synthesis_target
from hwgen.config import parse_design
from hwgen.errors import ConfigError, HwgenError
from hwgen.families import family_of, generate, shape_of, synthesize
from hwgen.preflight import check_output_dir, check_output_file
from hwgen.schedule import command_bits, command_sequence
from hwgen.size_guard import DesignTooLarge, check_build_size
from hwgen.weights import hardwired_weights

from . import report as rep
from .evaluate import METRICS, evaluate, violations, workload_maxima
from .families import design_mapping
from .pareto import Normalizer, hypervolume_curve, nondominated, objective_matrix
from .picks import command_clock, design_yaml, suggest_picks
from .progress import Progress
from .refine import measured_metrics, rerank, selection_order
from .space import Space, load_space
from .study import (WorkerSpec, _worker_main, check_journal, completed_trials, open_storage, open_study,
                    release_stale_lock, repair_journal, run_worker, storage_label)

__all__ = ["run_sweep", "SweepResult", "DEFAULT_OUT", "EXHAUSTIVE_LIMIT", "REFERENCE_LIMIT"]

DEFAULT_OUT = "reports"
#: Largest space ``exhaustive=True`` enumerates.
EXHAUSTIVE_LIMIT = 5_000_000
#: Largest space whose exhaustive front is computed as a reference next to a search.
REFERENCE_LIMIT = 1_000_000
#: The same limits for spaces with per-design (float, MAC, non-ternary) cost models.
FAMILY_EXHAUSTIVE_LIMIT = 50_000
FAMILY_REFERENCE_LIMIT = 5_000
#: A sweep not told how to run enumerates a space the model prices in seconds
#: (`benchmarks/bench_first_hour.py --rule`, 2 cores: the vectorized model took 1.7-3.4 s for
#: 13,650 designs with L <= 512, 7 s with L <= 1,024, 24 s with L <= 2,048; per-design models
#: 20-65 ms a design): the exact front for less than a search costs.
AUTO_EXHAUSTIVE_LIMIT = 50_000
AUTO_EXHAUSTIVE_MAX_LUTS = 512
AUTO_FAMILY_EXHAUSTIVE_LIMIT = 200
JOURNAL = "study.journal"


@dataclass
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    out_dir : Path
        Folder holding the report (``report.html``, ``report.md``, CSVs, ``plots/``,
        ``manifest.json``) and, by default, the study's journal.
    mode : str
        ``"search"`` or ``"exhaustive"``.
    study, storage : str
        Study name and storage (password masked); empty in exhaustive mode.
    trials, new_trials : int
        Complete trials in the study, and how many this call ran.
    pareto : DataFrame
        The Pareto designs (parameters and metrics), as in ``pareto.csv``.
    hypervolume, exhaustive_hypervolume, hypervolume_ratio : float | None
        Normalized hypervolume of the found front, of the exhaustive front, and their ratio.
    space_size : int
    seconds : float
        Wall time of the call.
    summary : dict
        Every headline figure (also in ``manifest.json``).
    """

    out_dir: Path
    mode: str
    study: str
    storage: str
    trials: int
    new_trials: int
    pareto: pd.DataFrame
    hypervolume: float | None
    exhaustive_hypervolume: float | None
    hypervolume_ratio: float | None
    space_size: int
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def report_html(self) -> Path:
        return self.out_dir / "report.html"

    @property
    def report_md(self) -> Path:
        return self.out_dir / "report.md"

    @property
    def manifest(self) -> Path:
        return self.out_dir / rep.MANIFEST


# ----------------------------------------------------------------------------
# Frames


def _frame_from_trials(space: Space, trials) -> pd.DataFrame:
    rows = []
    for t in trials:
        row = {"trial": t.number}
        row.update(t.user_attrs["design"])
        row.update(t.user_attrs["metrics"])
        rows.append(row)
    cols = ["trial"] + space.param_names + [k for k in METRICS if k not in space.param_names]
    return pd.DataFrame(rows, columns=cols)


def _finish_frame(space: Space, frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``feasible``, ``bound`` and ``pareto`` (first trial of each distinct design on the front)."""
    metrics = {k: frame[k].to_numpy() for k in METRICS}
    viol = violations(space, metrics)
    frame = frame.copy()
    frame["feasible"] = np.all(viol <= 0, axis=1) if viol.shape[1] else True
    frame["bound"] = np.where(frame["bandwidth_bound"].to_numpy(dtype=bool), "bandwidth", "compute")
    frame = frame.drop(columns=["bandwidth_bound"])
    first = ~frame.duplicated(subset=space.param_names, keep="first")
    cand = np.flatnonzero(frame["feasible"].to_numpy() & first.to_numpy())
    pareto = np.zeros(len(frame), dtype=bool)
    if len(cand):
        obj = objective_matrix({o.name: frame[o.name].to_numpy()[cand] for o in space.objectives}, space.objectives)
        pareto[cand[nondominated(obj)]] = True
    frame["pareto"] = pareto
    return frame


def _grid_frame(space: Space) -> pd.DataFrame:
    grid = space.grid()
    metrics = evaluate(space, grid)
    frame = pd.DataFrame({"trial": np.arange(len(grid["luts"])), **grid, **{k: metrics[k] for k in METRICS}})
    return _finish_frame(space, frame)


# ----------------------------------------------------------------------------
# Search


def _resolve_storage(storage: str | None, out: Path) -> tuple[str, bool]:
    if storage is None:
        return str(out / JOURNAL), True
    if not isinstance(storage, str) or not storage:
        raise ConfigError(f"storage must be an Optuna RDB URL or a journal file path, not {storage!r}")
    return storage, False


def _feasible(trial) -> bool:
    return all(v <= 0 for k, v in trial.system_attrs.items() if k.startswith("constraints:"))


def _search(space: Space, space_path: str | None, storage: str, study_name: str, trials: int, jobs: int,
            seed: int, sampler: str, progress: bool, why: str) -> tuple[Any, int, int]:
    study = open_study(space, open_storage(storage), study_name, seed=seed)
    stored = completed_trials(study)
    start = len(stored)
    remaining = max(0, trials - start)
    bar = Progress(trials, start, space.objectives, enabled=progress)
    bar.message(f"sweep: searching with {sampler}: {why}")
    for t in stored:
        bar.observe(t.user_attrs["metrics"], _feasible(t))
    if start:
        bar.message(f"sweep: study {study_name!r} has {start} complete trials; "
                    + (f"running {remaining} more" if remaining else "nothing left to run"))
    spec = WorkerSpec(space_path, storage, study_name, sampler, seed, trials, sync=jobs > 1 or "://" in storage)
    if remaining and jobs == 1:
        count = [start]

        def on_trial(t):
            count[0] += 1
            bar.observe(t.user_attrs["metrics"], _feasible(t))
            bar.update(count[0])

        run_worker(spec, remaining, 0, on_trial=on_trial, space=space)
    elif remaining:
        quotas = [remaining // jobs + (1 if w < remaining % jobs else 0) for w in range(jobs)]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = [pool.submit(_worker_main, spec, q, w) for w, q in enumerate(quotas) if q]
            pending = set(futures)
            seen = 0
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
                for f in done:
                    f.result()  # re-raise a worker's error here
                trials_now = completed_trials(study)
                for t in trials_now[seen:]:
                    bar.observe(t.user_attrs["metrics"], _feasible(t))
                seen = len(trials_now)
                bar.update(seen)
    bar.close()
    final = completed_trials(study)
    return final, start, len(final) - start


# ----------------------------------------------------------------------------
# RTL and synthesis of Pareto designs


def _core_gemvs(space: Space, row: pd.Series) -> list[tuple[str, int, int, int]]:
    """``(name, n, m, runs per token)`` of the GEMVs the row's core runs (hardwired layers excluded)."""
    wl = space.workload
    hardwired = int(row["hardwired_layers"]) if "hardwired_layers" in row.index else 0
    scale = (wl.layers - hardwired) / wl.layers if wl.layers else 1.0
    return [(g.name, g.n, g.m, round(g.count * scale)) for g in wl.gemvs if round(g.count * scale)]


def design_of_row(space: Space, row: pd.Series) -> dict[str, Any]:
    """The design file (as a mapping) of a table row: the programmable core for the workload's
    maxima, its program the GEMVs of one token that run on it (what the sweep priced)."""
    max_n, max_m = workload_maxima(space.workload)
    gemvs = [{"name": name, "n": n, "m": m, "count": count} for name, n, m, count in _core_gemvs(space, row)]
    workload = {"max_n": max_n, "max_m": max_m, **({"gemvs": gemvs} if gemvs else {})}

    def get(name, default):
        return row[name] if name in row.index else default

    return design_mapping(str(get("architecture", "lut")), str(get("weights", space.workload.weights)),
                          str(row["activation"]), int(row["group_size"]), int(row["luts"]), int(row["fetchers"]),
                          int(row["pipeline"]), int(get("adder_pipeline", 0)), workload)


def _decode_step(space: Space, row: pd.Series, config) -> dict[str, Any]:
    """``program.json``: the command sequence of one decode step on the row's core, layer by
    layer for a model (each projection once per layer), else each GEMV ``count`` times."""
    runs = _core_gemvs(space, row)
    if space.workload.layers:
        rounds = max(count for *_, count in runs)
        order = [(name, n, m) for r in range(rounds) for name, n, m, count in runs if r < count]
    else:
        order = [(name, n, m) for name, n, m, count in runs for _ in range(count)]
    shape = shape_of(config)
    t = config.tiling
    commands = command_sequence(order, config.workload.max_n, config.workload.max_m, t.rows_per_tile,
                                t.fetchers, shape.latency)
    return {"design": str(row["design"]), "max_n": config.workload.max_n, "max_m": config.workload.max_m,
            "cmd_layout": {"n_bits": command_bits(config.workload.max_n, config.workload.max_m)[0],
                           "m_bits": command_bits(config.workload.max_n, config.workload.max_m)[1],
                           "n": "low bits", "m": "above n"},
            "cycles_per_token": sum(c["cycles"] for c in commands), "commands": commands}


def _core_summary(design: dict[str, Any]) -> str:
    if design["kind"] == "mac":
        return f"mac, rows={design['rows']}, columns={design['columns']}"
    return f"{design['kind']}, mu={design['group_size']}, L={design['luts']}, K={design['fetchers']}"


def _emit_rtl(space: Space, table: pd.DataFrame, stage: Path, bar: Progress) -> dict[str, str]:
    """Per Pareto design: the Verilog of its programmable core (as ``hwgen generate`` writes it),
    its ``design.yaml`` (``hwgen estimate`` of it gives the row) and ``program.json`` (one decode
    step's commands); a design too large to elaborate in minutes gets no Verilog, and a note."""
    out = {}
    for i, (_, row) in enumerate(table.iterrows()):
        folder = stage / f"rtl/{row['design']}"
        design = design_of_row(space, row)
        if "gemvs" in design["workload"]:  # else every layer is hardwired: no core
            bar.message(f"sweep: Verilog {i + 1}/{len(table)}: {row['design']} ({_core_summary(design)})")
            config = parse_design(design)
            try:
                check_build_size(config)
                generate(config, folder, clock_mhz=command_clock(row))
            except DesignTooLarge as exc:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "NOT-GENERATED.txt").write_text(f"{exc}\n")
                bar.message(f"sweep: {row['design']}: no Verilog written ({exc})")
            (folder / "design.yaml").write_text(design_yaml(space, row, design))
            (folder / "program.json").write_text(json.dumps(_decode_step(space, row, config), indent=1) + "\n")
        folder.mkdir(parents=True, exist_ok=True)
        if int(row.get("hardwired_layers", 0)):
            _write_hardwired_designs(space, row, folder)
        out[str(row["design"])] = f"rtl/{row['design']}"
    return out


def _write_hardwired_designs(space: Space, row: pd.Series, folder: Path) -> None:
    """Hardwired layers are whole-model arrays (millions of weights): instead of their Verilog,
    write one ``kind: hardwired`` design per projection (``hwgen generate`` builds it)."""
    fmt = hardwired_weights(str(row["weights"]) if "weights" in row.index else space.workload.weights)
    designs = {g.name: {"kind": "hardwired", "weights": fmt, "activation": str(row["activation"]), "seed": 0,
                        "workload": {"n": g.n, "m": g.m}, "pipeline": 0, "top": f"hardwired_{g.name}"}
               for g in space.workload.gemvs}
    note = (f"# {int(row['hardwired_layers'])} of {space.workload.layers} layers are hardwired; one array per "
            f"projection and layer.\n# Generate one with: hwgen generate <this design> -o OUT/ "
            f"(weights: a generated matrix; set weights_file for the model's own).\n")
    (folder / "hardwired.yaml").write_text(note + yaml.safe_dump(designs, sort_keys=False))


def _synth_design(task: tuple) -> dict[str, Any]:
    """One `--synth-top` job (runs on a batch worker): the flow's numbers beside the model's, same
    clock, same library (`costmodel.synth_target`)."""
    design, clock, tech, liberty = task
    config = parse_design(design)
    result, _ = synthesize(config, liberty, 1000.0 / clock)
    model = family_of(config).estimate(config, tech, clock)
    return {"pipeline": config.pipeline, "clock_mhz": clock, "model_tech": tech, "synth_library": tech,
            "model_area_um2": model["area_um2"], "synth_area_um2": result.area_um2,
            "area_err_pct": 100.0 * (model["area_um2"] / result.area_um2 - 1.0),
            "model_fmax_mhz": model["fmax_mhz"], "synth_fmax_mhz": result.fmax_mhz,
            "fmax_err_pct": 100.0 * (model["fmax_mhz"] / result.fmax_mhz - 1.0) if result.fmax_mhz else None,
            "model_power_mw": model["power_mw"], "synth_power_mw": result.power_mw,
            "power_err_pct": 100.0 * (model["power_mw"] / result.power_mw - 1.0)}


def _synth_top(space: Space, table: pd.DataFrame, frame: pd.DataFrame, n: int, stage: Path, bar: Progress,
               jobs: int, scheduler: str | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Synthesize the ``n`` Pareto cores of largest hypervolume contribution (`dse.refine`), on ``jobs``
    local workers or a Dask ``scheduler``; model and flow side by side, and the front re-ranked.

    Synthesis uses the Liberty library of the space's technology, or of the table it is
    scaled from (`costmodel.synth_target.synthesis_target`); the model is priced with that
    library's own table, so the rows compare like with like. ``table`` is the report's Pareto
    table, ``frame`` every trial with all its metrics. Returns the rows, the re-ranked front and
    the sentence saying what was compared.
    """
    target = synthesis_target(space.tech)
    full = table[["design", "trial"]].merge(frame, on="trial", how="left")
    cores = full[full["hardwired_layers"] == 0] if "hardwired_layers" in full.columns else full
    picked = cores.iloc[selection_order(space, cores)[:n]]
    where = f"on {scheduler}" if scheduler else f"{jobs} at a time"
    bar.message(f"sweep: synthesizing {len(picked)} of {len(table)} Pareto designs with {target.tech} ({where})")
    tasks = [(design_of_row(space, row), target.clock_mhz(float(row["clock_mhz"])), target.tech, target.liberty)
             for _, row in picked.iterrows()]
    done = [0]

    def count(_result):
        done[0] += 1
        bar.message(f"sweep: synthesized {done[0]}/{len(tasks)}")

    results = map_batch(_synth_design, tasks, jobs=jobs, scheduler=scheduler, tools=FLOW_TOOLS, progress=count)
    rows, measured = [], []
    for (_, row), (design, *_), result in zip(picked.iterrows(), tasks, results):
        rows.append({"design": row["design"], "kind": design["kind"], "weights": design.get("weights", ""),
                     "activation": design["activation"], "group_size": int(row["group_size"]),
                     "luts": int(row["luts"]), "fetchers": int(row["fetchers"]), **result})
        # the measured fmax back in the space's technology (a scaled table's clocks are the base's / factor)
        in_space = dict(result, synth_fmax_mhz=result["synth_fmax_mhz"] * float(row["clock_mhz"]) / result["clock_mhz"])
        measured.append({"design": row["design"], **measured_metrics(space, row, in_space)})
    df = pd.DataFrame(rows)
    ranked = rerank(space, picked, pd.DataFrame(measured))
    df.to_csv(stage / "synthesis.csv", index=False, float_format="%.8g")
    ranked.to_csv(stage / "refined.csv", index=False, float_format="%.8g")
    return df, ranked, target.note()


# ----------------------------------------------------------------------------
# The entry point


def choose_mode(space: Space, exhaustive: bool | None, search_asked: bool) -> tuple[str, str]:
    """``("exhaustive" | "search", why)``: the rule `run_sweep` follows when ``exhaustive`` is None."""
    size = space.size
    if exhaustive:
        return "exhaustive", "asked for (--exhaustive)"
    if exhaustive is False:
        return "search", "asked for (--search)"
    if search_asked:
        return "search", "a search was asked for (--trials, --storage, --study or --jobs)"
    if space.vectorized:
        max_luts = max(space.param("luts").values)
        if size <= AUTO_EXHAUSTIVE_LIMIT and max_luts <= AUTO_EXHAUSTIVE_MAX_LUTS:
            return "exhaustive", (f"{size:,} designs with at most {max_luts} LUTs: within the {AUTO_EXHAUSTIVE_LIMIT:,} "
                                  f"designs of up to {AUTO_EXHAUSTIVE_MAX_LUTS} LUTs the vectorized model prices in "
                                  f"seconds, so the front is exact")
        return "search", (f"{size:,} designs with up to {max_luts} LUTs: beyond the {AUTO_EXHAUSTIVE_LIMIT:,} designs "
                          f"of up to {AUTO_EXHAUSTIVE_MAX_LUTS} LUTs enumerated in seconds")
    if size <= AUTO_FAMILY_EXHAUSTIVE_LIMIT:
        return "exhaustive", (f"{size:,} designs priced one at a time: within the {AUTO_FAMILY_EXHAUSTIVE_LIMIT:,} "
                              f"enumerated in seconds, so the front is exact")
    return "search", (f"{size:,} designs priced one at a time (float, MAC or non-ternary cores): beyond the "
                      f"{AUTO_FAMILY_EXHAUSTIVE_LIMIT:,} enumerated in seconds")


def _remove_if_fresh(out: Path) -> None:
    """Remove an output folder this call created if it holds no data (no empty ``out/`` left behind)."""
    if out.is_dir() and all(p.is_dir() or p.stat().st_size == 0 for p in out.rglob("*")):
        shutil.rmtree(out, ignore_errors=True)


def run_sweep(space_path: str | None = None, trials: int | None = None, storage: str | None = None,
              study: str | None = None, out_dir: str = DEFAULT_OUT, jobs: int = 1, emit_rtl: bool = False,
              synth_top: int = 0, seed: int | None = None, exhaustive: bool | None = None,
              progress: bool = True, scheduler: str | None = None) -> SweepResult:
    """Search a design space and write its Pareto report.

    Parameters
    ----------
    space_path : str | None
        Space YAML (`dse.space`); the built-in default space if None.
    trials : int | None
        Complete trials the study should hold when done, counted across every process
        sharing the storage (a resumed or shared study runs only the missing ones; on a
        journal file the total is exact, on an RDB two processes may both add the last
        trial); the space's ``search.trials`` if None.
    storage : str | None
        Optuna RDB URL, or a journal file path; ``<out_dir>/study.journal`` if None.
    study : str | None
        Study name; the space's name if None.
    out_dir : str
        Report folder (created).
    jobs : int
        Local worker processes sharing the storage.
    emit_rtl : bool
        Write every Pareto design's Verilog (as ``hwgen generate``) under ``rtl/``.
    synth_top : int
        Synthesize this many Pareto designs (largest hypervolume contribution first; all of
        them if the front is no larger), report model against synthesis and the front
        re-ranked by the measured numbers (`dse.refine`), like for like: in the space's
        technology's Liberty library, or for a scaled table (n16, n7, n5) in its base library
        with the model priced there too, which the report states.
    seed : int | None
        Sampler seed; the space's ``search.seed`` (default 0) if None.
    exhaustive : bool | None
        True: enumerate the whole space instead of searching. False: search (and compute
        the exhaustive front as a reference when the space has at most `REFERENCE_LIMIT`
        designs). None: the rule of `choose_mode`: enumerate a space the model prices in
        seconds unless ``trials``, ``storage``, ``study`` or ``jobs > 1`` ask for a search.
    progress : bool
        Progress bar and messages on stderr.
    scheduler : str | None
        Dask scheduler address (``tcp://HOST:PORT``) to run ``synth_top``'s syntheses on;
        without it they run on ``jobs`` local workers (`costmodel.batch`).

    Raises
    ------
    hwgen.errors.ConfigError
        For an invalid space, argument, or a storage/study that does not fit the space
        (an output folder this call created is removed again).
    """
    out = check_output_dir(out_dir, "--out")
    if isinstance(storage, str) and storage and "://" not in storage:
        check_journal(Path(storage))
        check_output_file(storage, "storage")
    created = not out.exists()
    try:
        return _run_sweep(space_path, trials, storage, study, out, jobs, emit_rtl, synth_top, seed, exhaustive,
                          progress, scheduler)
    except HwgenError:
        if created:
            _remove_if_fresh(out)
        raise


def _run_sweep(space_path: str | None, trials: int | None, storage: str | None, study: str | None, out: Path,
               jobs: int, emit_rtl: bool, synth_top: int, seed: int | None, exhaustive: bool | None,
               progress: bool, scheduler: str | None) -> SweepResult:
    t0 = time.monotonic()
    for name, value, lo in (("trials", trials, 1), ("jobs", jobs, 1), ("synth_top", synth_top, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < lo):
            raise ConfigError(f"{name} must be an integer >= {lo}, not {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"seed must be a non-negative integer, not {seed!r}")
    space = load_space(space_path)
    if synth_top:
        synthesis_target(space.tech)  # a technology with no library fails here, before the search
    if scheduler:
        if not synth_top:
            raise ConfigError("--scheduler runs the syntheses of --synth-top; give --synth-top N as well")
        check_cluster(scheduler, FLOW_TOOLS)
    space_file = None if space_path is None else str(Path(space_path).resolve())
    mode, why = choose_mode(space, exhaustive,
                            search_asked=any(v is not None for v in (trials, storage, study)) or jobs > 1)
    trials = space.trials if trials is None else trials
    seed = space.seed if seed is None else seed
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(".staging-*"):
        shutil.rmtree(old, ignore_errors=True)
    bar = Progress(0, 0, space.objectives, enabled=progress)

    size = space.size
    summary: dict[str, Any] = {"space": space.describe(), "space_size": size, "seed": seed,
                               "sampler": space.sampler, "mode_reason": why}
    storage_str, embedded = "", False
    if mode == "exhaustive":
        if not space.vectorized and size > FAMILY_EXHAUSTIVE_LIMIT:
            raise ConfigError(f"the space has {size:,} designs priced one at a time (float, MAC or non-ternary "
                              f"cores); exhaustive mode enumerates at most {FAMILY_EXHAUSTIVE_LIMIT:,} of those; "
                              f"narrow it or search it (without --exhaustive)")
        if size > EXHAUSTIVE_LIMIT:
            raise ConfigError(f"the space has {size:,} designs, more than the {EXHAUSTIVE_LIMIT:,} exhaustive mode "
                              f"enumerates; narrow it or search it (without --exhaustive)")
        bar.message(f"sweep: enumerating: {why}")
        frame = _grid_frame(space)
        summary.update(mode="exhaustive", study="", storage="", trials=len(frame))
        new = 0
        reference = frame[frame["pareto"]]
    else:
        storage_str, embedded = _resolve_storage(storage, out)
        if "://" not in storage_str:
            if release_stale_lock(Path(storage_str)):
                bar.message(f"sweep: released the journal lock a killed run left on {storage_str}")
            repair_journal(Path(storage_str))
        study_name = study or space.name
        trial_list, start, new = _search(space, space_file, storage_str, study_name, trials, jobs, seed,
                                         space.sampler, progress, why)
        frame = _finish_frame(space, _frame_from_trials(space, trial_list))
        label = JOURNAL if embedded else storage_label(storage_str)
        summary.update(mode="search", study=study_name, storage=label, trials=len(frame))
        reference = None
        limit = REFERENCE_LIMIT if space.vectorized else FAMILY_REFERENCE_LIMIT
        if size > limit and not space.vectorized:
            summary["reference_skipped"] = (f"no exhaustive reference front: {size:,} designs priced one at a "
                                            f"time exceed {limit:,}")
            bar.message(f"sweep: {summary['reference_skipped']}")
        if size <= limit:
            grid = _grid_frame(space)
            reference = grid[grid["pareto"]]
    summary["feasible_trials"] = int(frame["feasible"].sum())
    summary["distinct_designs"] = int((~frame.duplicated(subset=space.param_names)).sum())

    found = frame[frame["pareto"]]
    obj_found = objective_matrix({o.name: found[o.name].to_numpy() for o in space.objectives}, space.objectives)
    hv = hv_ref = ratio = None
    curve = None
    norm = None
    if reference is not None and len(reference):
        obj_ref = objective_matrix({o.name: reference[o.name].to_numpy() for o in space.objectives}, space.objectives)
        norm = Normalizer.from_front(obj_ref)
        hv_ref = norm.hypervolume(obj_ref)
    elif len(found):
        norm = Normalizer.from_front(obj_found)
    if norm is not None and len(found):
        hv = norm.hypervolume(obj_found)
        ratio = hv / hv_ref if hv_ref else None
        if summary["mode"] == "search":
            allobj = objective_matrix({o.name: frame[o.name].to_numpy() for o in space.objectives}, space.objectives)
            curve = hypervolume_curve(allobj, frame["feasible"].to_numpy(), norm)
    hv, hv_ref, ratio = (None if v is None else float(v) for v in (hv, hv_ref, ratio))
    summary.update(pareto_designs=int(frame["pareto"].sum()), hypervolume=hv, exhaustive_hypervolume=hv_ref,
                   hypervolume_ratio=ratio, exhaustive_pareto=None if reference is None else int(len(reference)),
                   bandwidth_bound_pareto=int((found["bound"] == "bandwidth").sum()),
                   normalization=None if norm is None else norm.to_dict())
    if summary["mode"] == "exhaustive":
        summary["exhaustive_hypervolume"] = hv
        summary["hypervolume_ratio"] = 1.0 if hv else None
        summary["exhaustive_pareto"] = int(len(found))
        reference = None  # the found front is the exhaustive front: drawn once

    data = rep.ReportData(space, frame, reference, curve, summary, rep.importance(frame, space))
    stage = out / f".staging-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        table = rep._pareto_table(data)
        if emit_rtl:
            bar.message(f"sweep: writing the Verilog of {len(table)} Pareto designs")
            data.rtl = _emit_rtl(space, table, stage, bar)
        if synth_top:
            data.synth, data.refined, data.synth_note = _synth_top(space, table, frame, synth_top, stage, bar,
                                                                   jobs, scheduler)
        data.pick_designs = {p.design: design_yaml(space, row, design_of_row(space, row))
                             for p in suggest_picks(space, table)
                             for _, row in table[table["design"] == p.design].iterrows()}
        files = rep.write_report(stage, data)
        manifest = {"tool": "hwgen sweep", "summary": summary, "trials_csv": "trials.csv"}
        rep.publish(stage, out, files, manifest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    seconds = time.monotonic() - t0
    if progress:
        msg = f"sweep: {summary['pareto_designs']} Pareto designs from {summary['trials']} "
        msg += "designs" if summary["mode"] == "exhaustive" else "trials"
        if ratio is not None and summary["mode"] == "search":
            msg += f", {100 * ratio:.2f}% of the exhaustive front's hypervolume"
        msg += f"; report in {out / 'report.html'} ({seconds:.1f} s)"
        print(msg, file=sys.stderr)
    return SweepResult(out, summary["mode"], summary["study"], summary["storage"], summary["trials"], new,
                       rep._pareto_table(data), hv, summary["exhaustive_hypervolume"], summary["hypervolume_ratio"],
                       size, seconds, summary)

