"""The drawn calibration and validation sets are what their seeds say, and disjoint."""

from costmodel.calibrate import (CALIBRATION_CORES, DRAWN_CALIBRATION_CORES, DRAWN_UNPIPELINED_CALIBRATION_CORES,
                                 PICKED_CALIBRATION_CORES)
from costmodel.design_space import GROUP_SIZES, datapath_bits, design_key, sample_cores
from costmodel.validate import DRAWN_VALIDATION_CORES, PICKED_VALIDATION_CORES, VALIDATION_CORES


def test_drawn_sets_reproduce_from_their_seeds():
    assert sample_cores(1, 18, PICKED_CALIBRATION_CORES + PICKED_VALIDATION_CORES) == DRAWN_CALIBRATION_CORES
    first_calibration = PICKED_CALIBRATION_CORES + DRAWN_CALIBRATION_CORES
    assert sample_cores(2, 30, PICKED_VALIDATION_CORES + first_calibration) == DRAWN_VALIDATION_CORES
    assert (sample_cores(3, 12, first_calibration + VALIDATION_CORES, pipeline=0)
            == DRAWN_UNPIPELINED_CALIBRATION_CORES)


def test_calibration_and_validation_are_disjoint():
    cal = {design_key(d) for d in CALIBRATION_CORES}
    val = {design_key(d) for d in VALIDATION_CORES}
    assert len(cal) == len(CALIBRATION_CORES) and len(val) == len(VALIDATION_CORES)
    assert not cal & val


def test_draw_covers_every_group_size_and_respects_the_cap():
    drawn = sample_cores(7, 12, max_bits=8000)
    assert sorted({d["mu"] for d in drawn}) == list(GROUP_SIZES)
    assert all(datapath_bits(d) <= 8000 for d in drawn)
    assert len({design_key(d) for d in drawn}) == 12


def test_exhausted_group_size_is_an_error():
    import pytest

    with pytest.raises(ValueError, match="mu=3"):
        sample_cores(0, 6, max_bits=100)


def test_heldout_set_reproduces_from_its_seed_and_is_disjoint():
    from costmodel.validate import HELDOUT_CORES

    explored = sample_cores(4, 25, CALIBRATION_CORES + VALIDATION_CORES, max_bits=12_000, pipeline=0,
                            group_sizes=(1, 2, 3, 4, 5))  # benchmarks/bench_unpipelined.py's draw
    assert sample_cores(5, 12, CALIBRATION_CORES + VALIDATION_CORES + explored, max_bits=8000) == HELDOUT_CORES
    seen = {design_key(d) for d in CALIBRATION_CORES + VALIDATION_CORES + explored}
    assert not seen & {design_key(d) for d in HELDOUT_CORES}
