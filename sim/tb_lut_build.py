"""cocotb testbench of one LUT build unit: apply every input vector, record every entry.

Vectors come from ``HWGEN_TB_IN`` (lanes of ``mu`` activations); entries go to
``HWGEN_TB_OUT``. The unit is combinational, so each vector settles in 1 ns.
"""

import os

import cocotb
import numpy as np
from cocotb.triggers import Timer

from sim.lanes import ints_to_lanes, lanes_to_ints


@cocotb.test()
async def all_vectors(dut):
    data = np.load(os.environ["HWGEN_TB_IN"])
    vectors = lanes_to_ints(data["acts"], int(data["act_width"]))
    entries, width = int(data["entries"]), int(data["entry_width"])
    words = []
    for word in vectors:
        dut.acts.value = word
        await Timer(1, unit="ns")
        words.append(int(dut.entries.value))
    np.save(os.environ["HWGEN_TB_OUT"], ints_to_lanes(words, entries, width))
