"""The per-token account: the LM head and DRAM energy in every sweep, checkpoints as workloads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from costmodel.memory import MEMORIES
from dse.evaluate import evaluate
from dse.space import parse_space
from dse.workload import load_workload, streamed_bytes
from hwgen.cli import main
from hwgen.errors import ConfigError
from test_checkpoint import CONFIG, write_numpy_checkpoint

POINT = {"group_size": np.array([4, 2]), "luts": np.array([64, 8]), "fetchers": np.array([64, 16]),
         "pipeline": np.array([2, 1])}
HEAD_2B4T = 2560 * 128256 * 2  # bf16 bytes


def space(**over):
    raw = {"workload": "bitnet-b1.58-2b4t", "parameters": {"group_size": [2, 4], "luts": [8, 64],
                                                           "fetchers": [16, 64], "pipeline": [1, 2]},
           "constraints": {"memory_bandwidth_gbps": 100}, **over}
    return parse_space(raw)


def test_2b4t_head_is_streamed_and_every_bit_costs_dram_energy():
    sp = space()
    head = sp.workload.head
    assert (head.n, head.m, head.weights, head.serve) == (2560, 128256, "bf16", "stream")
    assert head.streamed_bytes == HEAD_2B4T == pytest.approx(656.7e6, rel=1e-4)
    m = evaluate(sp, POINT)
    keys = streamed_bytes(sp.workload, POINT["group_size"], POINT["luts"], POINT["fetchers"])
    assert np.allclose(m["mbytes_per_token"] * 1e6, keys + HEAD_2B4T)
    pj = MEMORIES["hbm2"]["pj_per_bit"]
    assert np.allclose(m["dram_uj_per_token"], (keys + HEAD_2B4T) * 8 * pj * 1e-6)
    assert np.all(m["head_uj_per_token"] > 0)
    assert np.all(m["energy_per_token_uj"] > m["dram_uj_per_token"] + m["head_uj_per_token"])
    # excluded: only the keys are streamed, and the account says so
    ex = space(workload={"name": "x", "model": {"hidden": 2560, "ffn": 6912, "heads": 20, "kv_heads": 5,
                                               "head_dim": 128, "layers": 30, "vocab": 128256},
                         "lm_head": {"serve": "exclude"}})
    mx = evaluate(ex, POINT)
    assert np.allclose(mx["mbytes_per_token"] * 1e6, keys) and np.all(mx["head_uj_per_token"] == 0)
    assert "EXCLUDED" in ex.workload.account()
    assert np.all(mx["tokens_per_s"] >= m["tokens_per_s"]) and mx["tokens_per_s"][0] > m["tokens_per_s"][0]
    # a costlier memory costs more energy for the same stream
    md = evaluate(space(memory="ddr3"), POINT)
    assert np.allclose(md["dram_uj_per_token"] / m["dram_uj_per_token"], MEMORIES["ddr3"]["pj_per_bit"] / pj)


def test_hardwired_layers_stream_nothing_but_the_head():
    sp = space(tech="n5", parameters={"architecture": ["lut"], "group_size": [4], "luts": [8], "fetchers": [16],
                                      "pipeline": [1], "hardwired_layers": [0, 30]})
    one = {"architecture": np.array(["lut", "lut"]), "group_size": np.array([4, 4]), "luts": np.array([8, 8]),
           "fetchers": np.array([16, 16]), "pipeline": np.array([1, 1]), "hardwired_layers": np.array([0, 30])}
    m = evaluate(sp, one)
    assert m["mbytes_per_token"][1] * 1e6 == pytest.approx(HEAD_2B4T)
    assert m["mbytes_per_token"][0] > m["mbytes_per_token"][1]
    assert m["dram_uj_per_token"][0] > m["dram_uj_per_token"][1]


def test_bad_head_and_memory():
    with pytest.raises(ConfigError, match="'serve' must be one of stream, exclude"):
        space(workload={"model": {"hidden": 64, "ffn": 128, "heads": 4, "kv_heads": 2, "layers": 2, "vocab": 9},
                        "lm_head": {"serve": "dense"}})
    with pytest.raises(ConfigError, match="'memory' must be one of"):
        space(memory="sram")


def test_checkpoint_workload(tmp_path):
    write_numpy_checkpoint(tmp_path / "m")
    wl = load_workload(str(tmp_path / "m"))
    assert [(g.name, g.n, g.m, g.count) for g in wl.gemvs][:2] == [("q", 64, 64, 2), ("k", 64, 32, 2)]
    assert (wl.head.n, wl.head.m, wl.head.weights) == (64, 256, "fp16")  # the tied fp16 embedding
    assert wl.name == "m" and wl.source.endswith("/m")
    write_numpy_checkpoint(tmp_path / "bad", out_override=96)
    with pytest.raises(ConfigError, match="model.layers.0.self_attn.q_proj.weight"):
        load_workload({"checkpoint": str(tmp_path / "bad")})


def test_sweep_reports_the_account(tmp_path, capsys):
    """`hwgen sweep` on the 2B4T preset: bytes per token include the head, energy includes DRAM."""
    spec = {"name": "acct", "workload": "bitnet-b1.58-2b4t",
            "parameters": {"group_size": [4], "luts": [16, 32], "fetchers": [32, 64], "pipeline": [1]},
            "constraints": {"memory_bandwidth_gbps": 100}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    assert main(["sweep", str(tmp_path / "s.yaml"), "--exhaustive", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    report = (tmp_path / "r" / "report.md").read_text()
    assert "LM head 2560 x 128256 bf16: streamed to a dense unit, 656.7 MB per token" in report
    assert "hbm2, 3.9 pJ per streamed bit" in report
    trials = pd.read_csv(tmp_path / "r" / "trials.csv")
    assert (trials["mbytes_per_token"] > 656.7).all() and (trials["dram_uj_per_token"] > 0).all()


def test_checkpoint_sweep_space(tmp_path):
    write_numpy_checkpoint(tmp_path / "ckpt", {**CONFIG, "tie_word_embeddings": True})
    sp = parse_space({"workload": {"checkpoint": "ckpt", "lm_head": {"serve": "exclude"}},
                      "parameters": {"group_size": [2], "luts": [2], "fetchers": [4], "pipeline": [1]}},
                     base_dir=tmp_path)
    m = evaluate(sp, {"group_size": np.array([2]), "luts": np.array([2]), "fetchers": np.array([4]),
                      "pipeline": np.array([1])})
    assert m["energy_per_token_uj"][0] > m["dram_uj_per_token"][0] > 0


def test_hardwired_projection_streams_the_bf16_head():
    from costmodel.hardwired import project_model

    p = project_model("bitnet-2b4t", "n5")
    head = next(r for r in p["rows"] if r["matrix"].startswith("lm head"))
    assert head["weights"] == "bf16" and head["area_mm2"] == 0.0
    assert p["streamed_bytes_per_token"] == HEAD_2B4T
    assert p["energy_breakdown_mj"]["lm_head_streamed"] * 1e9 >= HEAD_2B4T * 8 * MEMORIES["hbm2"]["pj_per_bit"]
    batched = project_model("bitnet-2b4t", "n5", head_batch=64)
    assert batched["tokens_per_s"] > p["tokens_per_s"]
