"""Minimal adder graphs for an arbitrary set of signed sums (the build unit of every format).

A *target* is a coefficient vector in ``{-1, 0, 1}^n`` over ``n`` real inputs; the graph
must hold every target's value ``sum_j c[j] * x[j]``. Targets are canonical: their
lowest-index non-zero coefficient is ``+1`` (the negation of a canonical value is taken
at fetch time, never built). The builder halves the inputs recursively, exactly like the
ternary build of `hwgen.lutgraph`: a vector non-zero in only one half is that half's
node (shared), any other is ``lo + hi`` or ``lo - hi`` of two canonical half-vectors,
one adder. Only the nodes some target needs are built, so a subset of the ternary table
(Sherry), the complex table of iFairy and the +-1 table of bit-plane weights all come
out of one routine with one adder per distinct multi-term (sub)value.
"""

from __future__ import annotations

from functools import lru_cache

from ..lutgraph import LutGraph, Node, evaluate_coefficients


def canonical(vector: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """``(canonical vector, sign)`` with ``vector == sign * canonical``; the zero vector has sign 0."""
    for c in vector:
        if c:
            return (vector, 1) if c > 0 else (tuple(-x for x in vector), -1)
    return vector, 0


@lru_cache(maxsize=None)
def build_sum_graph(inputs: int, targets: tuple[tuple[int, ...], ...]) -> LutGraph:
    """The adder graph holding every (canonical, non-zero) target, in order, as its entries.

    ``LutGraph.mu`` is the number of real inputs; ``entries[i]`` is the node of ``targets[i]``.
    """
    for t in targets:
        if len(t) != inputs or canonical(t) != (t, 1) or any(c not in (-1, 0, 1) for c in t):
            raise ValueError(f"target {t} is not a canonical non-zero vector of {inputs} coefficients")
    nodes: list[Node] = []
    memo: dict[tuple[int, ...], int] = {}

    def get(vector: tuple[int, ...], first: int, count: int) -> int:
        """Node of canonical ``vector`` (full length, non-zero only in ``[first, first+count)``)."""
        if vector in memo:
            return memo[vector]
        support = [j for j, c in enumerate(vector) if c]
        if len(support) == 1:
            nodes.append(Node("in", support[0]))
        else:
            half = count // 2
            while not (any(vector[first:first + half]) and any(vector[first + half:first + count])):
                # every non-zero digit in one half: descend into it
                if any(vector[first:first + half]):
                    count = half
                else:
                    first, count = first + half, count - half
                half = count // 2
            lo = vector[:first + half] + (0,) * (inputs - first - half)
            hi = (0,) * (first + half) + vector[first + half:]
            hi_canon, hi_sign = canonical(hi)
            lo_node = get(lo, first, half)
            hi_node = get(hi_canon, first + half, count - half)
            depth = max(nodes[lo_node].depth, nodes[hi_node].depth) + 1
            nodes.append(Node("add" if hi_sign > 0 else "sub", lo_node, hi_node, depth))
        memo[vector] = len(nodes) - 1
        return memo[vector]

    entries = tuple(get(t, 0, inputs) for t in targets)
    graph = LutGraph(inputs, tuple(nodes), entries)
    _check(graph, targets)
    return graph


def _check(graph: LutGraph, targets) -> None:
    coeffs = evaluate_coefficients(graph)
    for target, node_id in zip(targets, graph.entries):
        if coeffs[node_id] != target:
            raise RuntimeError(f"LUT graph bug: an entry holds {coeffs[node_id]}, not {target}")
