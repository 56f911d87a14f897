"""Design validation: every bad field is named in one message."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import lut_design
from hwgen.config import max_pipeline, parse_design, required_accumulator_width
from hwgen.errors import ConfigError
from hwgen.formats import ACTIVATIONS


@pytest.mark.parametrize("override, message", [
    ({"group_size": 0}, r"'group_size' must be in 1\.\.8, not 0"),
    ({"group_size": 9}, "'group_size'"),
    ({"fetchers": -1}, r"'fetchers' must be >= 1, not -1"),
    ({"luts": 2.5}, "'luts' must be an integer"),
    ({"luts": True}, "'luts' must be an integer"),
    ({"activation": "int3"}, "'activation' must be one of"),
    ({"weights": "int5"}, "'weights' must be one of"),
    ({"kind": "gpu"}, "'kind' must be one of"),
    ({"pipeline": 9}, "'pipeline' must be in 0..4"),
    ({"accumulator_width": 12}, "'accumulator_width' 12 can overflow"),
    ({"workload": {"n": 0, "m": 3}}, "'n' must be >= 1"),
    ({"workload": {"n": 4}}, "missing required field 'm'"),
    ({"workload": [1, 2]}, "'workload' must be a mapping"),
    ({"colour": "red"}, "unknown field"),
    ({"top": "9bad"}, "'top' must be a Verilog identifier"),
])
def test_bad_fields_are_named(override, message):
    with pytest.raises(ConfigError, match=message):
        parse_design(lut_design(**override))


def test_accumulator_width_is_derived_and_sufficient():
    config = parse_design(lut_design())
    assert config.workload.n == 300 and config.accumulator_width == 17
    # The extreme sum, 300 x (-128) = -38,400, fits 17 signed bits and not 16: 17 is the least width,
    # so a design asking for 16 is refused and one asking for 17 accepted.
    with pytest.raises(ConfigError, match="'accumulator_width' 16 can overflow"):
        parse_design(lut_design(accumulator_width=16))
    assert parse_design(lut_design(accumulator_width=17)).accumulator_width == 17


@given(st.integers(1, 10**6), st.sampled_from(["int4", "int8"]))
def test_required_width_bounds_every_dot_product(n, act):
    fmt = ACTIVATIONS[act]
    w = required_accumulator_width(n, fmt)
    assert n * -fmt.min <= 2 ** (w - 1) and n * fmt.max < 2 ** (w - 1)
    assert n * -fmt.min > 2 ** (w - 2) - 1 or w <= 2


def test_max_pipeline_counts_tree_levels():
    assert [max_pipeline(L) for L in (1, 2, 3, 4, 5, 8)] == [2, 3, 4, 4, 5, 5]
