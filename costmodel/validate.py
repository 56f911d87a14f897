"""Model vs synthesis on LUT cores not used in fitting.

Usage: ``python -m costmodel.validate [--tech NAME] [--jobs N] [--out reports/validation]``.
"""

from __future__ import annotations

# 33 designs: mu 1..6, L 1..16, K 1..16, int4 and int8, pipeline 0..max; none of them is
# in `costmodel.calibrate.CALIBRATION_CORES`.
VALIDATION_CORES: list[dict] = [
    dict(mu=1, L=4, K=4, act="int8", p=0, n=128, m=32),
    dict(mu=1, L=8, K=8, act="int4", p=2, n=256, m=64),
    dict(mu=1, L=2, K=8, act="int8", p=1, n=64, m=32),
    dict(mu=1, L=8, K=2, act="int8", p=3, n=128, m=16),
    dict(mu=1, L=16, K=16, act="int4", p=1, n=256, m=64),
    dict(mu=2, L=4, K=4, act="int4", p=1, n=128, m=32),
    dict(mu=2, L=2, K=2, act="int8", p=0, n=64, m=16),
    dict(mu=2, L=8, K=4, act="int8", p=2, n=256, m=32),
    dict(mu=2, L=3, K=8, act="int4", p=0, n=96, m=64),
    dict(mu=2, L=4, K=8, act="int8", p=4, n=128, m=64),
    dict(mu=2, L=16, K=4, act="int8", p=2, n=256, m=32),
    dict(mu=3, L=2, K=4, act="int8", p=1, n=96, m=32),
    dict(mu=3, L=4, K=2, act="int4", p=0, n=192, m=16),
    dict(mu=3, L=4, K=4, act="int8", p=3, n=192, m=32),
    dict(mu=3, L=1, K=8, act="int8", p=2, n=96, m=64),
    dict(mu=3, L=8, K=2, act="int4", p=1, n=256, m=16),
    dict(mu=3, L=8, K=8, act="int8", p=1, n=256, m=64),
    dict(mu=4, L=2, K=2, act="int8", p=1, n=128, m=16),
    dict(mu=4, L=4, K=2, act="int8", p=0, n=128, m=16),
    dict(mu=4, L=1, K=4, act="int4", p=2, n=64, m=32),
    dict(mu=4, L=2, K=8, act="int4", p=3, n=128, m=64),
    dict(mu=4, L=4, K=4, act="int8", p=4, n=256, m=32),
    dict(mu=4, L=3, K=2, act="int8", p=2, n=192, m=16),
    dict(mu=4, L=8, K=4, act="int4", p=1, n=256, m=32),
    dict(mu=5, L=1, K=2, act="int8", p=1, n=80, m=16),
    dict(mu=5, L=2, K=2, act="int4", p=0, n=160, m=16),
    dict(mu=5, L=2, K=1, act="int8", p=2, n=160, m=16),
    dict(mu=5, L=1, K=4, act="int4", p=1, n=80, m=32),
    dict(mu=5, L=4, K=1, act="int8", p=3, n=160, m=16),
    dict(mu=6, L=1, K=1, act="int4", p=0, n=96, m=16),
    dict(mu=6, L=1, K=2, act="int8", p=1, n=96, m=16),
    dict(mu=6, L=2, K=1, act="int8", p=2, n=192, m=16),
    dict(mu=6, L=2, K=2, act="int4", p=1, n=192, m=16),
]
