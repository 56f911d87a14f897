"""The LUT build adder graph: one description used by generator, reference and cost model.

Entry ``i`` of a mu-input LUT is the signed sum whose balanced-ternary weight
value is ``+i`` (see `hwgen.weights.ternary`). The graph builds the ``(3**mu - 1) / 2``
entries by recursive halving: split the mu inputs into a high and a low half,
build both halves' LUTs, and form every entry with non-zero digits in both
halves as ``hi[vh] + lo[vl]`` or ``hi[vh] - lo[-vl]``. Entries with only one
non-zero half are reused from the sub-LUTs (shared sub-expressions), negated
entries are never built (sign symmetry), and nothing is ever added to zero.

This costs exactly one adder per entry with two or more non-zero digits, i.e.
``(3**mu - 1) / 2 - mu`` adders, which is the minimum (each such entry is a new
value, so needs at least one adder), at depth ``ceil(log2(mu))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache



def lut_entries(mu: int) -> int:
    """Number of non-zero LUT entries that must be built: ``(3**mu - 1) / 2``."""
    return (3**mu - 1) // 2


def entry_coefficients(mu: int, index: int) -> tuple[int, ...]:
    """The ternary weights (digit 0 first) whose signed sum LUT entry ``index`` holds."""
    digits = []
    v = index
    for _ in range(mu):
        r = ((v + 1) % 3) - 1  # balanced digit in {-1, 0, 1}
        digits.append(r)
        v = (v - r) // 3
    return tuple(digits)


@dataclass(frozen=True)
class Node:
    """One value in the graph: an input (``op == "in"``, ``a`` = input lane) or ``a op b``."""

    op: str  # "in" | "add" | "sub"
    a: int
    b: int = -1
    depth: int = 0


@dataclass(frozen=True)
class LutGraph:
    """Nodes in topological order; ``entries[i - 1]`` is the node holding entry ``i``."""

    mu: int
    nodes: tuple[Node, ...]
    entries: tuple[int, ...]

    @property
    def adders(self) -> int:
        return sum(node.op != "in" for node in self.nodes)

    @property
    def depth(self) -> int:
        return max(node.depth for node in self.nodes)

    def value_ranges(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Exact integer range of every node when each input lies in ``[lo, hi]``."""
        ranges: list[tuple[int, int]] = []
        for node in self.nodes:
            if node.op == "in":
                ranges.append((lo, hi))
            elif node.op == "add":
                (alo, ahi), (blo, bhi) = ranges[node.a], ranges[node.b]
                ranges.append((alo + blo, ahi + bhi))
            else:
                (alo, ahi), (blo, bhi) = ranges[node.a], ranges[node.b]
                ranges.append((alo - bhi, ahi - blo))
        return ranges


def naive_adders(mu: int) -> int:
    """Adders of the naive baseline: every entry summed from all mu terms on its own, zeros included
    (an adder for every zero weight of the entry)."""
    return lut_entries(mu) * (mu - 1)


def zero_skipping_adders(mu: int) -> int:
    """Adders of the zero-skipping baseline: every entry summed on its own from its non-zero terms
    only (``nonzeros - 1`` adders each), no sharing between entries. The like-for-like baseline
    for hwgen's graph, which additionally shares sub-expressions (at mu = 2 there are none to share)."""
    nonzeros = (sum(c != 0 for c in entry_coefficients(mu, i)) for i in range(1, lut_entries(mu) + 1))
    return sum(k - 1 for k in nonzeros)


@lru_cache(maxsize=None)
def build_lut_graph(mu: int) -> LutGraph:
    """The minimal-adder, minimal-depth LUT build graph for ``mu`` inputs."""
    if mu < 1:
        raise ValueError(f"group size must be >= 1, not {mu}")
    nodes: list[Node] = []

    def build(first: int, count: int) -> dict[int, int]:
        """Map entry value (relative to digit ``first``) -> node id, for values 1..E(count)."""
        if count == 1:
            nodes.append(Node("in", first))
            return {1: len(nodes) - 1}
        low_count = count // 2
        low = build(first, low_count)
        high = build(first + low_count, count - low_count)
        shift = 3**low_count
        table = dict(low)
        for vh, hnode in high.items():
            table[vh * shift] = hnode
            for vl, lnode in low.items():
                hn, ln = nodes[hnode], nodes[lnode]
                depth = max(hn.depth, ln.depth) + 1
                nodes.append(Node("add", hnode, lnode, depth))
                table[vh * shift + vl] = len(nodes) - 1
                nodes.append(Node("sub", hnode, lnode, depth))
                table[vh * shift - vl] = len(nodes) - 1
        return table

    table = build(0, mu)
    entries = tuple(table[i] for i in range(1, lut_entries(mu) + 1))
    graph = LutGraph(mu, tuple(nodes), entries)
    _check(graph)
    return graph


def evaluate_coefficients(graph: LutGraph) -> list[tuple[int, ...]]:
    """Symbolic value of every node: its coefficient on each of the ``mu`` inputs."""
    coeffs: list[tuple[int, ...]] = []
    for node in graph.nodes:
        if node.op == "in":
            coeffs.append(tuple(int(j == node.a) for j in range(graph.mu)))
        else:
            sign = 1 if node.op == "add" else -1
            coeffs.append(tuple(x + sign * y for x, y in zip(coeffs[node.a], coeffs[node.b])))
    return coeffs


def _check(graph: LutGraph) -> None:
    """Evaluate symbolically: every entry must hold exactly its balanced-ternary coefficients."""
    coeffs = evaluate_coefficients(graph)
    for index, node_id in enumerate(graph.entries, start=1):
        if coeffs[node_id] != entry_coefficients(graph.mu, index):
            raise RuntimeError(f"LUT graph bug: mu={graph.mu} entry {index} holds {coeffs[node_id]}")
