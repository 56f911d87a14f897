"""Pareto fronts and hypervolume, on plain numpy arrays (every objective minimized).

`objective_matrix` turns metrics into that form: maximized objectives are negated
and objectives that span decades (all of ours) are compared in log10, so a 2x gain
counts the same at 0.1 mm^2 as at 100 mm^2. Hypervolume is measured after scaling
each objective to ``[0, 1]`` between the ideal and the nadir of a reference front,
with the reference point at ``1 + REF_MARGIN`` in every objective.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["objective_matrix", "nondominated", "hypervolume", "Normalizer", "hypervolume_curve", "REF_MARGIN"]

#: The reference point sits this far beyond the nadir (fraction of the front's range).
REF_MARGIN = 0.1


def objective_matrix(metrics: dict[str, np.ndarray], objectives) -> np.ndarray:
    """``(points, objectives)`` array to minimize: log10 where ``log``, negated for maximize."""
    cols = []
    for o in objectives:
        v = np.asarray(metrics[o.name], dtype=np.float64)
        if o.log:
            v = np.log10(np.maximum(v, 1e-300))
        cols.append(-v if o.direction == "maximize" else v)
    return np.stack(cols, axis=1)


def nondominated(points: np.ndarray, block: int = 512) -> np.ndarray:
    """Boolean mask of the points no other point dominates (minimization).

    Points are visited in lexicographic order, where no later point can dominate an
    earlier one, and compared block by block against the front found so far.
    Identical points are all kept.
    """
    points = np.asarray(points, dtype=np.float64)
    n = points.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort(points.T[::-1])
    front = np.empty((0, points.shape[1]))
    for start in range(0, n, block):
        idx = order[start:start + block]
        cand = points[idx]
        if len(front):
            le = np.all(front[None, :, :] <= cand[:, None, :], axis=2)
            lt = np.any(front[None, :, :] < cand[:, None, :], axis=2)
            alive = ~np.any(le & lt, axis=1)
            idx, cand = idx[alive], cand[alive]
        if len(cand) > 1:
            le = np.all(cand[None, :, :] <= cand[:, None, :], axis=2)
            lt = np.any(cand[None, :, :] < cand[:, None, :], axis=2)
            alive = ~np.any(le & lt, axis=1)
            idx, cand = idx[alive], cand[alive]
        mask[idx] = True
        front = np.concatenate([front, cand])
    return mask


def _hv2(points: np.ndarray, ref: np.ndarray) -> float:
    p = points[np.lexsort((points[:, 1], points[:, 0]))]
    ymin = np.minimum.accumulate(p[:, 1])
    keep = np.concatenate([[True], ymin[1:] < ymin[:-1]])
    p = p[keep]
    x_next = np.append(p[1:, 0], ref[0])
    return float(np.sum((x_next - p[:, 0]) * (ref[1] - p[:, 1])))


def _hv(points: np.ndarray, ref: np.ndarray) -> float:
    d = points.shape[1]
    if len(points) == 0:
        return 0.0
    if d == 1:
        return float(ref[0] - points[:, 0].min())
    if d == 2:
        return _hv2(points, ref)
    # Slice along the last objective: between consecutive levels, the covered volume is
    # the (d-1)-dimensional hypervolume of every point at or below that level.
    p = points[np.argsort(points[:, -1], kind="stable")]
    total = 0.0
    levels = np.append(p[1:, -1], ref[-1])
    for i in range(len(p)):
        height = levels[i] - p[i, -1]
        if height <= 0:
            continue
        sub = p[: i + 1, :-1]
        if len(sub) > 1:
            sub = sub[nondominated(sub)]
        total += height * _hv(sub, ref[:-1])
    return total


def hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Volume dominated by ``points`` and bounded by ``ref`` (minimization)."""
    points = np.asarray(points, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if points.size == 0:
        return 0.0
    points = points[np.all(points < ref, axis=1)]
    if len(points) == 0:
        return 0.0
    points = points[nondominated(points)]
    points = np.unique(points, axis=0)
    return _hv(points, ref)


@dataclass(frozen=True)
class Normalizer:
    """Scales objectives to ``[0, 1]`` between a reference front's ideal and nadir."""

    ideal: np.ndarray
    nadir: np.ndarray

    @classmethod
    def from_front(cls, front: np.ndarray) -> "Normalizer":
        front = np.asarray(front, dtype=np.float64)
        ideal, nadir = front.min(axis=0), front.max(axis=0)
        nadir = np.where(nadir > ideal, nadir, ideal + 1.0)  # a flat objective: unit range
        return cls(ideal, nadir)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        return (np.asarray(points, dtype=np.float64) - self.ideal) / (self.nadir - self.ideal)

    @property
    def ref(self) -> np.ndarray:
        return np.full(self.ideal.shape, 1.0 + REF_MARGIN)

    def hypervolume(self, points: np.ndarray) -> float:
        return hypervolume(self(points), self.ref)

    def to_dict(self) -> dict:
        return {"ideal": self.ideal.tolist(), "nadir": self.nadir.tolist(), "ref_margin": REF_MARGIN}


def hypervolume_curve(points: np.ndarray, feasible: np.ndarray, norm: Normalizer,
                      checkpoints: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Hypervolume of the feasible points among the first ``k`` trials, at ~``checkpoints`` values of k."""
    n = len(points)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ks = np.unique(np.linspace(1, n, min(checkpoints, n)).round().astype(np.int64))
    scaled = norm(points)
    hvs = []
    front = np.empty((0, points.shape[1]))
    last = 0
    for k in ks:
        new = scaled[last:k][feasible[last:k]]
        if len(new):
            front = np.concatenate([front, new])
            front = front[nondominated(front)]
        last = k
        hvs.append(hypervolume(front, norm.ref) if len(front) else 0.0)
    return ks, np.array(hvs)
