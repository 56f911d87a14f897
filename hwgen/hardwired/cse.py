"""All-pairs common sub-expression extraction for constant matrices (``cse: all-pairs``).

The neighbour sharing of `hwgen.hardwired.graph` only pairs terms that sit next to
each other in a neuron's balanced tree. Here every neuron is a set of signed,
shifted terms ``s * (x << k)`` over *signals* ``x`` (the inputs, then built nodes),
and any two terms of a neuron may become a shared node: the most-common-pair
greedy of da4ml's CMVM optimizer (Sun et al. 2025), with a better order among ties.

1. **Exact pair counts.** Terms live in rows ``(signal, shift)`` of a sign matrix
   ``S (rows, M)``; ``same[t, u]`` / ``opp[t, u]`` count the neurons holding rows
   ``t`` and ``u`` with equal / opposite signs: two matrix products once, then exact
   updates (substituting a pair in neurons ``H`` changes only the rows and columns
   of the rows touched, by products over the ``|H|`` columns).
2. **Strict best-first greedy.** Build the node ``a + rel * (b << d)`` occurring most
   often (occurrences at every shift summed, so repeats inside one neuron count) and
   substitute it everywhere it occurs. Counts only fall and a new node's pairs occur
   at most as often as it does, so one scan of the matrices serves many builds
   (`_Terms.extract`).
3. **Least conflict first.** Among equally frequent nodes, the one whose occurrences'
   terms are held by the fewest other candidate pairs goes first (a min-degree rule
   for the packing problem underneath): 1-4 % fewer adders than an arbitrary order
   on the 32..128 benchmark matrices. The order goes stale as nodes are built, so
   the matrices are scanned again after a tenth of the list is built.
4. **Shallow, narrow residual.** The terms left in each neuron are summed as soon as
   they are ready (pairing everything ready at each level: depth-optimal, the
   Huffman order of da4ml's residual), neighbours in shift then magnitude order
   (narrower adders), each pair's positive term on the left so that an output needs
   a negation only when all its terms are negative; equal residual pairs are built
   once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["Nodes", "all_pairs_graph"]

#: Bound on the shift between the two terms of a pair (key packing).
_SHIFT_SPAN = 64
#: A scan's conflict order goes stale as nodes are built: scan again after building this
#: fraction of the candidates listed (0.1: 0.5-1.5 % fewer adders than never, ~1.5x the time).
_REFRESH = 0.1
#: ... but build at least one node per this many rows per scan: a scan costs O(rows^2) however
#: few nodes remain, a build O(rows).
_ROWS_PER_BUILD = 128
#: Elements per slice when gathering candidate rows (bounds `_Terms._conflicts`'s memory).
_GATHER = 1 << 22


@dataclass
class Nodes:
    """Adders ``(left << lshift) + rsign * (right << rshift)`` (ids from ``n_inputs``, sorted by
    level) and each output ``out_sign * (out_id << out_shift)`` (``out_id`` -1: zero)."""

    left: np.ndarray
    right: np.ndarray
    lshift: np.ndarray
    rshift: np.ndarray
    rsign: np.ndarray
    level: np.ndarray
    out_id: np.ndarray
    out_sign: np.ndarray
    out_shift: np.ndarray


class _Terms:
    """The sign matrix of the terms left, its exact pair counts, and the nodes built so far."""

    def __init__(self, sign: np.ndarray, row_sig: np.ndarray, row_shift: np.ndarray, n_inputs: int,
                 in_lo: int, in_hi: int):
        keep = np.any(sign != 0, axis=1)
        sign, row_sig, row_shift = sign[keep].astype(np.int8), row_sig[keep], row_shift[keep]
        rows, m = sign.shape
        cap = max(64, 2 * rows)
        self.s = np.zeros((cap, m), np.int8)
        self.s[:rows] = sign
        self.sig = np.full(cap, -1, np.int64)
        self.sig[:rows] = row_sig
        self.sh = np.zeros(cap, np.int64)
        self.sh[:rows] = row_shift
        x = sign.astype(np.float32)
        both, diff = np.abs(x) @ np.abs(x).T, x @ x.T
        self.same = np.zeros((cap, cap), np.int16)
        self.opp = np.zeros((cap, cap), np.int16)
        self.same[:rows, :rows] = np.rint((both + diff) / 2)
        self.opp[:rows, :rows] = np.rint((both - diff) / 2)
        np.fill_diagonal(self.same, 0)
        np.fill_diagonal(self.opp, 0)
        self.free = list(range(cap - 1, rows - 1, -1))
        self.top = rows  # rows at and above hold nothing
        self.row_of = {(int(a), int(k)): r for r, (a, k) in enumerate(zip(row_sig, row_shift))}
        self.rows_of_sig: dict[int, list[int]] = {}
        for (a, _), r in sorted(self.row_of.items()):
            self.rows_of_sig.setdefault(a, []).append(r)
        self.levels = [0] * n_inputs
        self.lo, self.hi = [in_lo] * n_inputs, [in_hi] * n_inputs
        self.nodes: list[tuple[int, int, int, int]] = []  # (left, right, rshift, rsign)

    def _grow(self) -> None:
        """1.5x the row capacity (the count matrices are its square)."""
        cap = self.s.shape[0]
        new = cap + cap // 2
        self.s = np.concatenate([self.s, np.zeros((new - cap, self.s.shape[1]), np.int8)])
        self.sig = np.concatenate([self.sig, np.full(new - cap, -1, np.int64)])
        self.sh = np.concatenate([self.sh, np.zeros(new - cap, np.int64)])
        for name in ("same", "opp"):
            big = np.zeros((new, new), np.int16)
            big[:cap, :cap] = getattr(self, name)
            setattr(self, name, big)
        self.free = list(range(new - 1, cap - 1, -1))

    def _new_row(self, signal: int, shift: int) -> int:
        if not self.free:
            self._grow()
        r = self.free.pop()
        self.top = max(self.top, r + 1)
        self.sig[r], self.sh[r] = signal, shift
        self.row_of[(signal, shift)] = r
        self.rows_of_sig.setdefault(signal, []).append(r)
        return r

    def _drop_if_empty(self, r: int) -> None:
        if not self.s[r].any():
            key = (int(self.sig[r]), int(self.sh[r]))
            del self.row_of[key]
            self.rows_of_sig[key[0]].remove(r)
            self.sig[r] = -1
            self.free.append(r)

    def _substitute(self, t: int, u: int, rel: int, node: int) -> int:
        """Replace ``S[t] + S[u]`` by the node's row where they form the pair; update the counts."""
        st = self.s[t]
        hit = np.flatnonzero((st != 0) & (self.s[u] == rel * st))
        if hit.size == 0:
            return 0
        sgn = st[hit]
        v = self._new_row(node, int(self.sh[t]))  # may grow the arrays: before the count vectors
        top = self.top
        x = self.s[:top, hit].astype(np.float32)
        nz, p = np.abs(x).sum(axis=1), x @ sgn.astype(np.float32)
        same_t, opp_t = np.rint((nz + p) / 2).astype(np.int16), np.rint((nz - p) / 2).astype(np.int16)
        same_u, opp_u = (same_t, opp_t) if rel > 0 else (opp_t, same_t)
        same_u, opp_u = same_u.copy(), opp_u.copy()
        for vec in (same_t, opp_t):
            vec[t] = 0
        for vec in (same_u, opp_u):
            vec[t] = vec[u] = 0
        for r, s_vec, o_vec in ((t, same_t, opp_t), (u, same_u, opp_u)):
            self.same[r, :top] -= s_vec
            self.same[:top, r] -= s_vec
            self.opp[r, :top] -= o_vec
            self.opp[:top, r] -= o_vec
        self.s[t, hit] = 0
        self.s[u, hit] = 0
        self.s[v, hit] = sgn
        same_t[u] = opp_t[u] = 0
        same_t[v] = opp_t[v] = 0
        self.same[v, :top], self.same[:top, v] = same_t, same_t
        self.opp[v, :top], self.opp[:top, v] = opp_t, opp_t
        self._drop_if_empty(t)
        if u != t:
            self._drop_if_empty(u)
        return int(max(same_t.max(), opp_t.max()))

    def _occurrences(self, a: int, b: int, d: int) -> list[tuple[int, int]]:
        """Row pairs ``((a, k), (b, k + d))`` present now, one per shift ``k``."""
        out = []
        for t in self.rows_of_sig.get(a, ()):
            u = self.row_of.get((b, int(self.sh[t]) + d))
            if u is not None and u != t:
                out.append((t, u))
        return out

    def count(self, a: int, b: int, d: int, rel: int) -> int:
        """Occurrences of the node ``a + rel * (b << d)`` over all neurons and shifts."""
        mat = self.same if rel > 0 else self.opp
        return sum(int(mat[t, u]) for t, u in self._occurrences(a, b, d))

    def build(self, a: int, b: int, d: int, rel: int) -> int:
        """Build the node ``a + rel * (b << d)``, substitute it at every shift where it occurs, and
        return a bound on the count of any pair with the node."""
        node = len(self.levels)
        self.levels.append(1 + max(self.levels[a], self.levels[b]))
        self.nodes.append((a, b, d, rel))
        blo, bhi = self.lo[b] << d, self.hi[b] << d
        self.lo.append(self.lo[a] + (blo if rel > 0 else -bhi))
        self.hi.append(self.hi[a] + (bhi if rel > 0 else -blo))
        bound = 0
        for t, u in self._occurrences(a, b, d):
            if self.sig[t] == a and self.sig[u] == b:  # rows may be recycled by an earlier substitution
                bound += self._substitute(t, u, rel, node)
        return bound

    def _compact(self) -> int:
        """Move the live rows into the holes below their count, so they fill the front; return it."""
        live = self.sig >= 0
        rows = int(live.sum())
        holes, moved = np.flatnonzero(~live[:rows]), np.flatnonzero(live[rows:]) + rows
        if moved.size:
            for mat in (self.same, self.opp):
                mat[holes] = mat[moved]
                mat[:, holes] = mat[:, moved]
                mat[moved] = 0
                mat[:, moved] = 0
            self.s[holes], self.sig[holes], self.sh[holes] = self.s[moved], self.sig[moved], self.sh[moved]
            self.s[moved], self.sig[moved] = 0, -1
            self.row_of = {(int(a), int(k)): r for r, (a, k) in enumerate(zip(self.sig[:rows], self.sh[:rows]))}
            self.rows_of_sig = {}
            for (a, _), r in sorted(self.row_of.items()):
                self.rows_of_sig.setdefault(a, []).append(r)
        self.free = list(range(self.sig.size - 1, rows - 1, -1))
        self.top = rows
        return rows

    def _conflicts(self, rows: int, t, u, neg, inv, n_keys: int) -> np.ndarray:
        """Per candidate node, summed over its occurrences: the candidate pairs (of any node) that
        hold one of the occurrence's two terms, i.e. the builds it would rule out."""
        s = self.s[:rows]
        pos, minus = (s > 0).astype(np.float32), (s < 0).astype(np.float32)

        def pairs(sel):
            i, j = np.concatenate([t[sel], u[sel]]), np.concatenate([u[sel], t[sel]])
            return sparse.csr_matrix((np.ones(i.size, np.float32), (i, j)), shape=(rows, rows))

        same, opp = pairs(neg == 0), pairs(neg == 1)
        # held[r, j]: candidate pairs holding term (r, j), with the sign relation each needs
        held = np.where(s > 0, same @ pos + opp @ minus, np.where(s < 0, same @ minus + opp @ pos, 0))
        held = held.astype(np.float32)
        if rows * rows < 8 * t.size:  # many candidates: dense products beat gathering their rows
            hp, hn = held * pos, held * minus
            a, b = hp @ pos.T + hn @ minus.T, hp @ minus.T + hn @ pos.T  # equal / opposite signs
            per = np.where(neg == 0, a[t, u] + a[u, t], b[t, u] + b[u, t])
        else:
            per = np.zeros(t.size)
            rel = np.where(neg == 1, -1, 1)
            step = max(1, _GATHER // s.shape[1])
            for lo in range(0, t.size, step):  # in slices: E x M gathers would not fit in memory
                tt, uu = t[lo:lo + step], u[lo:lo + step]
                st = s[tt]
                hit = (st != 0) & (s[uu] == rel[lo:lo + step, None] * st)
                per[lo:lo + step] = np.where(hit, held[tt] + held[uu], 0).sum(axis=1)
        return np.bincount(inv, weights=per, minlength=n_keys)

    def candidates(self) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
        """Every node occurring at least twice (the same node at several shifts counts once per
        shift), by decreasing count and, among equal counts, least conflicting first."""
        rows = self._compact()
        same, opp = self.same[:rows, :rows], self.opp[:rows, :rows]
        t, u = np.nonzero(same + opp)
        keep = t < u
        t, u = t[keep], u[keep]
        cs, co = same[t, u].astype(np.int64), opp[t, u].astype(np.int64)
        swap = (self.sh[t] > self.sh[u]) | ((self.sh[t] == self.sh[u]) & (self.sig[t] > self.sig[u]))
        t, u = np.where(swap, u, t), np.where(swap, t, u)
        s_, o_ = cs > 0, co > 0
        t, u = np.concatenate([t[s_], t[o_]]), np.concatenate([u[s_], u[o_]])
        neg = np.concatenate([np.zeros(s_.sum(), np.int64), np.ones(o_.sum(), np.int64)])
        c = np.concatenate([cs[s_], co[o_]])
        n_sig = len(self.levels)
        key = ((self.sig[t] * n_sig + self.sig[u]) * _SHIFT_SPAN + self.sh[u] - self.sh[t]) * 2 + neg
        uniq, inv = np.unique(key, return_inverse=True)
        inv = inv.ravel()
        total = np.bincount(inv, weights=c).astype(np.int64)
        e = (total >= 2)[inv]
        conflicts = self._conflicts(rows, t[e], u[e], neg[e], inv[e], uniq.size)
        top = np.flatnonzero(total >= 2)
        top = top[np.lexsort((conflicts[top], -total[top]))]
        neg, rest = uniq[top] & 1, uniq[top] >> 1
        d, ab = rest % _SHIFT_SPAN, rest // _SHIFT_SPAN
        a, b = np.divmod(ab, n_sig)
        return total[top], list(zip(a.tolist(), b.tolist(), d.tolist(), (1 - 2 * neg).tolist()))

    def extract(self) -> None:
        """Strict greedy: the most frequent node first, until no node repeats.

        One scan lists every candidate; counts of listed nodes only fall (a fallen one waits in
        a heap at its new count), and a built node's new pairs occur at most ``bound`` times, so
        the list is exact down to ``bound``; below it, scan again.
        """
        while True:
            counts, nodes = self.candidates()
            if not nodes:
                return
            waiting: list[tuple[int, int, tuple[int, int, int, int]]] = []
            bound, i, built = 0, 0, 0
            while i < len(nodes) or waiting:
                if waiting and (i >= len(nodes) or -waiting[0][0] > counts[i]):
                    listed, _, node = heapq.heappop(waiting)
                    listed = -listed
                else:
                    listed, node = int(counts[i]), nodes[i]
                    i += 1
                if listed < max(bound, 2):
                    break
                now = self.count(*node)
                if now < listed:
                    if now >= 2:
                        heapq.heappush(waiting, (-now, i, node))
                    continue
                bound = max(bound, self.build(*node))
                built += 1
                if built > max(_REFRESH * len(nodes), self.top / _ROWS_PER_BUILD):
                    break
            if not built:
                return


def _bits(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Magnitude bits of values in ``[lo, hi]``."""
    return np.ceil(np.log2(np.maximum(np.maximum(hi, -lo), 1) + 1)).astype(np.int64)


def _residual(terms: _Terms, m: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Sum each neuron's remaining terms as soon as they are ready: adders and outputs."""
    r, col = np.nonzero(terms.s)
    ids, shift = terms.sig[r], terms.sh[r]
    sign = terms.s[r, col].astype(np.int64)
    levels = np.array(terms.levels, np.int64)
    lo, hi = np.array(terms.lo, np.int64), np.array(terms.hi, np.int64)
    lv = levels[ids]
    next_id = len(terms.levels)
    parts = []
    step = 0
    while True:
        counts = np.bincount(col, minlength=m)
        if counts.max(initial=0) <= 1:
            break
        step += 1
        ready = (lv < step) & (counts[col] > 1)
        order = np.flatnonzero(ready)
        top = _bits(lo[ids[order]], hi[ids[order]]) + shift[order]
        order = order[np.lexsort((top, shift[order], col[order]))]
        c = col[order]
        start = np.searchsorted(c, c, side="left")
        rank = np.arange(c.size) - start
        size = np.bincount(c, minlength=m)[c]
        first = order[(rank % 2 == 0) & (rank + 1 < size)]
        second = order[(rank % 2 == 1)]
        if first.size == 0:
            continue
        swap = (sign[first] < 0) & (sign[second] > 0)  # a positive left operand keeps the sum positive
        first, second = np.where(swap, second, first), np.where(swap, first, second)
        s0 = np.minimum(shift[first], shift[second])
        dl, dr = shift[first] - s0, shift[second] - s0
        rel = sign[first] * sign[second]
        key = np.stack([ids[first], ids[second], dl, dr, rel], axis=1)
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        inv = inv.ravel()
        node_lv = 1 + np.maximum(levels[uniq[:, 0]], levels[uniq[:, 1]])
        parts.append(np.column_stack([uniq, node_lv]))
        new_ids = next_id + inv
        next_id += uniq.shape[0]
        levels = np.concatenate([levels, node_lv])
        llo, lhi = lo[uniq[:, 0]] << uniq[:, 2], hi[uniq[:, 0]] << uniq[:, 2]
        rlo, rhi = lo[uniq[:, 1]] << uniq[:, 3], hi[uniq[:, 1]] << uniq[:, 3]
        pos = uniq[:, 4] > 0
        lo = np.concatenate([lo, llo + np.where(pos, rlo, -rhi)])
        hi = np.concatenate([hi, lhi + np.where(pos, rhi, -rlo)])
        ids[first], shift[first], lv[first] = new_ids, s0, node_lv[inv]
        alive = np.ones(ids.size, bool)
        alive[second] = False
        ids, shift, sign, lv, col = ids[alive], shift[alive], sign[alive], lv[alive], col[alive]
    out_id = np.full(m, -1, np.int64)
    out_sign, out_shift = np.ones(m, np.int64), np.zeros(m, np.int64)
    out_id[col], out_sign[col], out_shift[col] = ids, sign, shift
    return parts, out_id, out_sign, out_shift


def all_pairs_graph(sign: np.ndarray, row_sig: np.ndarray, row_shift: np.ndarray, n_inputs: int,
                    in_lo: int, in_hi: int) -> Nodes:
    """Adders of ``Y = A @ W`` from the signed-digit terms ``sign (rows, M)`` on rows
    ``(row_sig, row_shift)`` (signals ``0 .. n_inputs-1`` are the inputs)."""
    m = sign.shape[1]
    terms = _Terms(sign, np.asarray(row_sig, np.int64), np.asarray(row_shift, np.int64), n_inputs,
                   in_lo, in_hi)
    terms.extract()
    parts, out_id, out_sign, out_shift = _residual(terms, m)
    ext = np.array(terms.nodes, np.int64).reshape(-1, 4)
    k = ext.shape[0]
    extracted = np.column_stack([ext[:, 0], ext[:, 1], np.zeros(k, np.int64), ext[:, 2], ext[:, 3],
                                 np.array(terms.levels[n_inputs:], np.int64)])
    table = np.concatenate([extracted] + parts) if parts else extracted
    # renumber adders by level (stable), so they are emitted and evaluated level by level
    order = np.argsort(table[:, 5], kind="stable")
    remap = np.arange(n_inputs + table.shape[0])
    remap[n_inputs + order] = n_inputs + np.arange(order.size)
    table = table[order]
    return Nodes(left=remap[table[:, 0]], right=remap[table[:, 1]], lshift=table[:, 2].astype(np.int8),
                 rshift=table[:, 3].astype(np.int8), rsign=table[:, 4].astype(np.int8),
                 level=table[:, 5].astype(np.int16), out_id=np.where(out_id >= 0, remap[np.maximum(out_id, 0)], -1),
                 out_sign=out_sign, out_shift=out_shift)
