"""Shared fixtures: an isolated build cache per test session and small designs."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Simulator builds and synthesis results go to a per-session cache unless one is given."""
    if "HWGEN_CACHE_DIR" not in os.environ:
        os.environ["HWGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("hwgen-cache"))
    yield


def lut_design(**overrides) -> dict:
    """A small, valid LUT design mapping with ``overrides`` applied."""
    design = {"kind": "lut", "weights": "ternary", "activation": "int8", "group_size": 3,
              "luts": 4, "fetchers": 8, "pipeline": 1, "workload": {"n": 300, "m": 70}}
    design.update(overrides)
    return design
