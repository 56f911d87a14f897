"""`run_sweep`: the design-space search behind ``hwgen sweep``, as one Python function.

Stages, in order: load the space -> search (Optuna workers on one storage) or
enumerate (exhaustive) -> collect trials and the Pareto front -> exhaustive
reference front and hypervolumes -> report in a staging folder -> optional RTL and
synthesis of Pareto designs -> publish (manifest last).
"""

from __future__ import annotations

import multiprocessing
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

from hwgen.errors import ConfigError
from hwgen.families import shape_of
from hwgen.schedule import command_bits, command_sequence

from . import report as rep
from .evaluate import METRICS, evaluate, violations, workload_maxima
from .families import design_mapping
from .pareto import Normalizer, hypervolume_curve, nondominated, objective_matrix
from .progress import Progress
from .space import Space, load_space
from .study import (WorkerSpec, _worker_main, completed_trials, open_storage, open_study, repair_journal,
                    run_worker, storage_label)

__all__ = ["run_sweep", "SweepResult", "DEFAULT_OUT", "EXHAUSTIVE_LIMIT", "REFERENCE_LIMIT"]

DEFAULT_OUT = "reports"
#: Largest space ``exhaustive=True`` enumerates.
EXHAUSTIVE_LIMIT = 5_000_000
#: Largest space whose exhaustive front is computed as a reference next to a search.
REFERENCE_LIMIT = 1_000_000
#: The same limits for spaces with per-design (float, MAC, non-ternary) cost models.
FAMILY_EXHAUSTIVE_LIMIT = 50_000
FAMILY_REFERENCE_LIMIT = 5_000
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
            seed: int, sampler: str, progress: bool) -> tuple[Any, int, int]:
    study = open_study(space, open_storage(storage), study_name)
    start = len(completed_trials(study))
    remaining = max(0, trials - start)
    bar = Progress(trials, start, space.objectives, enabled=progress)
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


def _design_dict(space: Space, row: pd.Series) -> dict[str, Any]:
    """The row's design: the programmable core for the workload's maxima, its program the
    GEMVs of one token that run on it (what the sweep priced)."""
    max_n, max_m = workload_maxima(space.workload)
    gemvs = [{"name": name, "n": n, "m": m, "count": count} for name, n, m, count in _core_gemvs(space, row)]
    workload = {"max_n": max_n, "max_m": max_m, **({"gemvs": gemvs} if gemvs else {})}
    get = lambda name, default: row[name] if name in row.index else default  # noqa: E731
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


def _emit_rtl(space: Space, table: pd.DataFrame, stage: Path) -> dict[str, str]:
    """Per Pareto design: the Verilog of its programmable core (``hwgen generate``), its
    ``design.yaml`` (``hwgen estimate`` of it gives the row) and ``program.json``."""
    import json

    import yaml

    from hwgen.api import generate, load

    out = {}
    for _, row in table.iterrows():
        folder = stage / f"rtl/{row['design']}"
        design = _design_dict(space, row)
        if "gemvs" in design["workload"]:  # else every layer is hardwired: no core
            generate(design, folder, clock_mhz=round(float(row["clock_mhz"]), 3))
            (folder / "design.yaml").write_text(yaml.safe_dump(design, sort_keys=False))
            program = _decode_step(space, row, load(design))
            (folder / "program.json").write_text(json.dumps(program, indent=1) + "\n")
        folder.mkdir(parents=True, exist_ok=True)
        if int(row.get("hardwired_layers", 0)):
            _write_hardwired_designs(space, row, folder)
        out[str(row["design"])] = f"rtl/{row['design']}"
    return out


def _write_hardwired_designs(space: Space, row: pd.Series, folder: Path) -> None:
    """Hardwired layers are whole-model arrays (millions of weights): instead of their Verilog,
    write one ``kind: hardwired`` design per projection (``hwgen generate`` builds it)."""
    import yaml

    from .families import hardwired_format

    fmt = hardwired_format(str(row["weights"]) if "weights" in row.index else space.workload.weights)
    designs = {g.name: {"kind": "hardwired", "weights": fmt, "activation": str(row["activation"]), "seed": 0,
                        "workload": {"n": g.n, "m": g.m}, "pipeline": 0, "top": f"hardwired_{g.name}"}
               for g in space.workload.gemvs}
    note = (f"# {int(row['hardwired_layers'])} of {space.workload.layers} layers are hardwired; one array per "
            f"projection and layer.\n# Generate one with: hwgen generate <this design> -o OUT/ "
            f"(weights: a generated matrix; set weights_file for the model's own).\n")
    (folder / "hardwired.yaml").write_text(note + yaml.safe_dump(designs, sort_keys=False))


def _knee_order(space: Space, table: pd.DataFrame) -> np.ndarray:
    obj = objective_matrix({o.name: table[o.name].to_numpy() for o in space.objectives}, space.objectives)
    scaled = Normalizer.from_front(obj)(obj) if len(obj) else obj
    return np.argsort(np.linalg.norm(scaled, axis=1), kind="stable")


def _synth_top(space: Space, table: pd.DataFrame, n: int, stage: Path, bar: Progress) -> pd.DataFrame:
    """Synthesize the ``n`` Pareto designs closest to the ideal point; model and flow side by side."""
    import tempfile

    from costmodel.synth import synthesize
    from hwgen.api import estimate, generate, load

    rows = []
    for i in _knee_order(space, table)[:n]:
        row = table.iloc[int(i)]
        design = _design_dict(space, row)
        config = load(design)
        clock = float(row["clock_mhz"])
        bar.message(f"sweep: synthesizing {row['design']} ({design['kind']}, mu={row['group_size']}, "
                    f"L={row['luts']}, K={row['fetchers']}, pipeline={config.pipeline})")
        with tempfile.TemporaryDirectory(prefix="hwgen-sweep-synth-") as tmp:
            generate(design, tmp, clock_mhz=round(clock, 3))
            result = synthesize([Path(tmp) / f"{config.top}.v"], config.top, clock_period_ns=1000.0 / clock)
        model = estimate(design, space.tech, clock_mhz=clock)
        rows.append({
            "design": row["design"], "group_size": int(row["group_size"]), "luts": int(row["luts"]),
            "fetchers": int(row["fetchers"]), "pipeline": config.pipeline,
            "model_area_um2": model["area_um2"], "synth_area_um2": result.area_um2,
            "model_fmax_mhz": model["fmax_mhz"], "synth_fmax_mhz": result.fmax_mhz,
            "model_power_mw": model["power_mw"], "synth_power_mw": result.power_mw,
        })
    df = pd.DataFrame(rows)
    df.to_csv(stage / "synthesis.csv", index=False, float_format="%.8g")
    return df


# ----------------------------------------------------------------------------
# The entry point


def run_sweep(space_path: str | None = None, trials: int | None = None, storage: str | None = None,
              study: str | None = None, out_dir: str = DEFAULT_OUT, jobs: int = 1, emit_rtl: bool = False,
              synth_top: int = 0, seed: int | None = None, exhaustive: bool | None = None,
              progress: bool = True) -> SweepResult:
    """Search a design space and write its Pareto report.

    Parameters
    ----------
    space_path : str | None
        Space YAML (`dse.space`); the built-in default space if None.
    trials : int | None
        Complete trials the study should hold when done (a resumed study runs only
        the missing ones); the space's ``search.trials`` if None.
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
        Synthesize this many Pareto designs (closest to the ideal point first) and
        report model against synthesis.
    seed : int | None
        Sampler seed; the space's ``search.seed`` (default 0) if None.
    exhaustive : bool | None
        True: enumerate the whole space with the vectorized model instead of
        searching. None: search, and also compute the exhaustive front as a reference
        when the space has at most `REFERENCE_LIMIT` designs. False: search only.
    progress : bool
        Progress bar and messages on stderr.

    Raises
    ------
    hwgen.errors.ConfigError
        For an invalid space, argument, or a storage/study that does not fit the space.
    """
    t0 = time.monotonic()
    for name, value, lo in (("trials", trials, 1), ("jobs", jobs, 1), ("synth_top", synth_top, 0)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < lo):
            raise ConfigError(f"{name} must be an integer >= {lo}, not {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError(f"seed must be a non-negative integer, not {seed!r}")
    space = load_space(space_path)
    space_file = None if space_path is None else str(Path(space_path).resolve())
    trials = space.trials if trials is None else trials
    seed = space.seed if seed is None else seed
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(".staging-*"):
        shutil.rmtree(old, ignore_errors=True)
    bar = Progress(0, 0, space.objectives, enabled=progress)

    size = space.size
    summary: dict[str, Any] = {"space": space.describe(), "space_size": size, "seed": seed,
                               "sampler": space.sampler}
    storage_str, embedded = "", False
    if exhaustive:
        if not space.vectorized and size > FAMILY_EXHAUSTIVE_LIMIT:
            raise ConfigError(f"the space has {size:,} designs priced one at a time (float, MAC or non-ternary "
                              f"cores); exhaustive mode enumerates at most {FAMILY_EXHAUSTIVE_LIMIT:,} of those; "
                              f"narrow it or search it (without --exhaustive)")
        if size > EXHAUSTIVE_LIMIT:
            raise ConfigError(f"the space has {size:,} designs, more than the {EXHAUSTIVE_LIMIT:,} exhaustive mode "
                              f"enumerates; narrow it or search it (without --exhaustive)")
        frame = _grid_frame(space)
        summary.update(mode="exhaustive", study="", storage="", trials=len(frame))
        new = 0
        reference = frame[frame["pareto"]]
    else:
        storage_str, embedded = _resolve_storage(storage, out)
        if embedded:
            repair_journal(Path(storage_str))
        study_name = study or space.name
        trial_list, start, new = _search(space, space_file, storage_str, study_name, trials, jobs, seed,
                                         space.sampler, progress)
        frame = _finish_frame(space, _frame_from_trials(space, trial_list))
        label = JOURNAL if embedded else storage_label(storage_str)
        summary.update(mode="search", study=study_name, storage=label, trials=len(frame))
        reference = None
        limit = REFERENCE_LIMIT if space.vectorized else FAMILY_REFERENCE_LIMIT
        if exhaustive is None and size > limit and not space.vectorized:
            summary["reference_skipped"] = (f"no exhaustive reference front: {size:,} designs priced one at a "
                                            f"time exceed {limit:,}")
            bar.message(f"sweep: {summary['reference_skipped']}")
        if exhaustive is None and size <= limit:
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
            data.rtl = _emit_rtl(space, table, stage)
        if synth_top:
            data.synth = _synth_top(space, table, synth_top, stage, bar)
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

