"""All-pairs common sub-expression extraction for constant matrices (``cse: all-pairs``).

The neighbour sharing of `hwgen.hardwired.graph` only pairs terms that sit next to
each other in a neuron's balanced tree. Here every neuron is a set of signed,
shifted terms ``s * (x << k)`` over *signals* ``x`` (the inputs, then built nodes),
and any two terms of a neuron may become a shared node: the most-common-pair
greedy of da4ml's CMVM optimizer (Sun et al. 2025), with a better order among ties.

1. **Exact pair counts.** Two terms of a neuron name the node they would build,
   ``a + rel * (b << d)`` (``a`` the term of lower shift); every node gets an id and a
   count of its occurrences over all neurons and shifts (repeats inside one neuron
   count), kept exact as terms are substituted: a substitution in a neuron changes only
   the pairs of its terms, whose ids the neuron keeps in a matrix. The inputs' pairs are
   counted in a table (a hash map for a matrix too wide for one) before they get ids; a
   node with a built signal can only form in that signal's build, so the build names it.
2. **Strict best-first greedy.** Build the node occurring most often and substitute
   it everywhere it occurs. Counts only fall and a new node's pairs occur at most as
   often as the largest count a build created, so one scan of the table serves many
   builds.
3. **Least conflict first.** Among equally frequent nodes, the one whose occurrences'
   terms are held by the fewest other candidate pairs goes first (a min-degree rule
   for the packing problem underneath): 1-4 % fewer adders than an arbitrary order
   on the 32..128 benchmark matrices. The order goes stale as nodes are built, so
   the table is scanned again after a tenth of the list is built.
4. **Shallow, narrow residual.** The terms left in each neuron are summed as soon as
   they are ready (pairing everything ready at each level: depth-optimal, the
   Huffman order of da4ml's residual), neighbours in shift then magnitude order
   (narrower adders), each pair's positive term on the left so that an output needs
   a negation only when all its terms are negative; equal residual pairs are built
   once.

The greedy is many small dependent steps, so it runs as C (``cse_kernel.c``, compiled
once per machine by `hwgen.native`); its time and memory grow with the term pairs inside
the neurons (each neuron keeps the node id of every pair of its terms), which `MAX_PAIRS`
bounds before any work starts. The kernel keeps up to 64 MB of freed working memory per
thread for the next call (a model's matrices come one after another).
"""

from __future__ import annotations

import ctypes
from functools import lru_cache
from pathlib import Path

import numpy as np

from hwgen.errors import ConfigError
from hwgen.native import load_kernel

from .adder_graph import AdderGraph

__all__ = ["all_pairs_graph", "MAX_PAIRS"]

KERNEL = Path(__file__).with_name("cse_kernel.c")
#: The conflict order goes stale as nodes are built: scan again after building this fraction
#: of the candidates listed.
REFRESH = 0.1
#: Term pairs inside the neurons above which all-pairs sharing is refused: time and memory grow
#: with them, about 25 bytes a pair (int4 256 x 256: 1.4e7 pairs, 1.1 s, a 0.38 GB process;
#: BENCHMARKS.md `cse-vs-da4ml`), so the limit keeps a run near 1.3 GB.
MAX_PAIRS = 50_000_000
#: Per adder: left, right, lshift, rshift, rsign, level, lo, hi.
_NODE_FIELDS = 8


@lru_cache(maxsize=1)
def _kernel():
    """The kernel's entry point with its C signature (declared once per process)."""
    fn = load_kernel(KERNEL).cse_all_pairs
    fn.restype = ctypes.c_int64
    # arrays go as addresses (``ndarray.ctypes.data``): a typed pointer costs microseconds a call
    fn.argtypes = [ctypes.c_void_p] + [ctypes.c_int64] * 5 + [ctypes.c_double, ctypes.c_int64,
                                                            ctypes.c_int64] + [ctypes.c_void_p] * 3
    return fn


def all_pairs_graph(digits: np.ndarray, in_lo: int, in_hi: int) -> AdderGraph:
    """Adder graph of ``Y = A @ W`` from the signed digits ``(N, M, D)`` of ``W`` (`csd_digits`), the
    inputs in ``[in_lo, in_hi]``."""
    digits = np.ascontiguousarray(digits, dtype=np.int8)
    n_inputs, m, span = digits.shape
    cap = max(1, int(np.count_nonzero(digits)))
    nodes = np.empty((cap, _NODE_FIELDS), np.int64)
    outs = np.empty((3, m), np.int64)
    last_use = np.empty(n_inputs + cap, np.int64)
    count = _kernel()(digits.ctypes.data, n_inputs, m, span, in_lo, in_hi, REFRESH, MAX_PAIRS, cap,
                      nodes.ctypes.data, outs.ctypes.data, last_use.ctypes.data)
    if count == -2:
        nz = np.count_nonzero(digits, axis=(0, 2)).astype(np.int64)
        raise ConfigError(f"cse: all-pairs would weigh {int(np.sum(nz * (nz - 1) // 2)):,} term pairs "
                          f"(limit {MAX_PAIRS:,}); use cse: neighbours for a matrix this large")
    if count < 0:
        raise MemoryError("cse: all-pairs ran out of memory")
    nodes, last_use = nodes[:count], last_use[:n_inputs + count]
    level = nodes[:, 5].astype(np.int16)
    return AdderGraph(n_inputs=n_inputs, n_outputs=m, in_lo=in_lo, in_hi=in_hi, left=nodes[:, 0], right=nodes[:, 1],
                      lshift=nodes[:, 2].astype(np.int8), rshift=nodes[:, 3].astype(np.int8),
                      rsign=nodes[:, 4].astype(np.int8), level=level,
                      lo=np.concatenate([np.full(n_inputs, in_lo, np.int64), nodes[:, 6]]),
                      hi=np.concatenate([np.full(n_inputs, in_hi, np.int64), nodes[:, 7]]),
                      out_id=outs[0], out_sign=outs[1], out_shift=outs[2],
                      last_use=last_use, n_levels=int(level.max(initial=0)))
