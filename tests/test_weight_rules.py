"""Per-format design rules live in the format's spec (`hwgen.weights`): group sizes a search
point maps to, the MAC baseline and hardwired array that stand in for a format, row multiples."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.formats import WEIGHT_FORMATS
from hwgen.weights import WEIGHT_SPECS, fit_group_size, hardwired_weights, mac_weights, row_multiple


@given(st.sampled_from(WEIGHT_FORMATS), st.integers(1, 8), st.sets(st.integers(1, 8), min_size=1))
def test_fit_group_size_is_allowed_and_never_grows_needlessly(weights, group_size, offered):
    fitted = fit_group_size(weights, group_size, sorted(offered))
    allowed = WEIGHT_SPECS[weights].group_sizes
    assert fitted in allowed
    if group_size in allowed:
        assert fitted == group_size
    elif any(a <= group_size for a in allowed):
        assert fitted <= group_size


@pytest.mark.parametrize("weights, is_float, mac, hardwired", [
    ("ternary", False, "ternary", "ternary"), ("sherry", True, "ternary", "ternary"),
    ("binary", False, "ternary", "ternary"), ("ifairy", False, None, None),
    ("int2", False, "int8", "int2"), ("int3", True, "fp16", "int4"), ("int4", False, "int8", "int4"),
    ("fp16", True, "fp16", None),  # a dense LM head has no LUT spec: the default multiplier
])
def test_stand_ins(weights, is_float, mac, hardwired):
    assert mac_weights(weights, is_float) == mac
    if weights in WEIGHT_FORMATS:
        assert hardwired_weights(weights) == hardwired


def test_sherry_rules():
    assert fit_group_size("sherry", 2, (2, 3)) == 4 and fit_group_size("ifairy", 8, (2, 4, 8)) == 4
    assert row_multiple("sherry") == (4, " (3:4 groups)") and row_multiple("int3") == (1, "")
