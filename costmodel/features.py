"""The structure counts every cost model prices, and how they group into a breakdown.

A technology table (`costmodel.tech`) holds one area and one energy coefficient per
feature; the models (`costmodel.model`, `costmodel.float_model`, ...) count them.
"""

#: Structure counts the area and energy are linear in (the tech table has one coefficient each).
FEATURES = (
    "build_adders",     # adders in the L build graphs
    "build_add_bits",   # sum of their output widths
    "shared_table_bits",  # build_add_bits of an unregistered table (pipeline 0) read by K > 1 fetchers
    "mux_data_bits",    # L*K*table bits: distinct data input bits of the fetch muxes
    "mux_select_terms",  # L*K*(E+1): select terms of the fetch muxes
    "neg_bits",         # L*K*fetch_width: conditional negators
    "tree_adders",      # K*(L-1)
    "tree_add_bits",    # output widths of the tree's carry-propagate adders (not fused into the accumulator)
    "csa_bits",         # full adders in the carry-save rows of fused multi-operand adders
    "acc_bits",         # K*accumulator_width: accumulator adder and restart mux
    "reg_bits",         # every register bit (pipeline cuts, accumulators, results, counters)
    "counter_bits",     # row and column counter bits
    "const",            # handshake and fixed control
)

#: Breakdown groups: which features each one sums.
BREAKDOWN = {
    "build": ("build_adders", "build_add_bits", "shared_table_bits"),
    "fetch": ("mux_data_bits", "mux_select_terms", "neg_bits"),
    "tree": ("tree_adders", "tree_add_bits", "csa_bits"),
    "registers": ("reg_bits",),
    "control": ("acc_bits", "counter_bits", "const"),
    "buffer": (),  # the frame's activation buffer: priced per point (`costmodel.frame`)
}
