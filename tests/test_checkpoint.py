"""Model directories (`hwgen.checkpoint`): tiny BitNet checkpoints built here, nothing downloaded.

The transformers-built one is what a user has: `BitNetForCausalLM` (hidden 64,
intermediate 128, 2 layers), its linears quantized with transformers' `WeightQuant`
rule and stored packed with transformers' `pack_weights` beside an `AutoBitLinear`
``weight_scale``, the tied embedding in bf16, sharded through an index; the float
variant is its plain ``save_pretrained``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from hwgen import checkpoint
from hwgen.checkpoint import PROJECTIONS, layer_name, open_checkpoint, projection_shapes
from hwgen.errors import InputError

CONFIG = {"model_type": "bitnet", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 256, "tie_word_embeddings": True,
          "quantization_config": {"quant_method": "bitnet", "linear_class": "autobitlinear",
                                  "quantization_mode": "offline"}}


def pack(values: np.ndarray) -> np.ndarray:
    """The documented packed layout, written independently of the reader: (out, in) -> (ceil(out/4), in)."""
    out = values.shape[0]
    rows = -(-out // 4)
    padded = np.zeros((4 * rows, values.shape[1]), np.uint8)
    padded[:out] = values + 1
    blocks = padded.reshape(4, rows, values.shape[1])
    return (blocks[0] | blocks[1] << 2 | blocks[2] << 4 | blocks[3] << 6).astype(np.uint8)


def write_numpy_checkpoint(directory, config=CONFIG, seed=0, layout="packed", out_override=None):
    """A checkpoint in the BitNet layout written with safetensors' numpy API; returns {prefix: (out, in) ternary}."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(seed)
    shape = checkpoint.read_model_shape(directory)
    tensors, truth = {}, {}
    for layer in range(shape.layers):
        for proj, (n, m) in projection_shapes(shape).items():
            prefix = layer_name(layer, proj)
            q = rng.integers(-1, 2, (out_override or m, n)).astype(np.int8)
            truth[prefix] = q
            tensors[f"{prefix}.weight"] = pack(q) if layout == "packed" else q
            tensors[f"{prefix}.weight_scale"] = np.array([0.5 + layer], np.float32)
    tensors["model.embed_tokens.weight"] = rng.normal(size=(shape.vocab, shape.hidden)).astype(np.float16)
    save_file(tensors, str(directory / "model.safetensors"))
    return truth


def test_packed_numpy_layout_round_trip(tmp_path):
    truth = write_numpy_checkpoint(tmp_path / "m")
    ckpt = open_checkpoint(tmp_path / "m")
    assert ckpt.shape.layers == 2 and ckpt.shape.head_dim == 16 and ckpt.shape.vocab == 256
    for prefix, q in truth.items():
        lw = ckpt.linear(prefix)
        assert lw.reader == "bitnet-packed" and lw.values.dtype == np.int8
        assert np.array_equal(lw.values, q.T)  # (in, out): orientation by role
        assert lw.scale == (0.5 if ".0." in prefix else 1.5)  # AutoBitLinear stores alpha
    assert ckpt.head_tensor() == "model.embed_tokens.weight"


def test_unpacked_integers_and_reciprocal_scale(tmp_path):
    config = {**CONFIG, "quantization_config": {"quant_method": "bitnet"}}  # packed BitLinear: stores 1/alpha
    truth = write_numpy_checkpoint(tmp_path / "m", config, layout="int8")
    ckpt = open_checkpoint(tmp_path / "m")
    prefix = layer_name(1, "down")
    lw = ckpt.linear(prefix + ".weight")
    assert lw.reader == "integer" and lw.ternary and np.array_equal(lw.values, truth[prefix].T)
    assert lw.scale == pytest.approx(1 / 1.5)


def test_bad_inputs_name_the_tensor(tmp_path):
    write_numpy_checkpoint(tmp_path / "m", layout="int8", out_override=96)  # every layer has the wrong out
    ckpt = open_checkpoint(tmp_path / "m")
    with pytest.raises(InputError, match=r"'model.layers.0.self_attn.q_proj.weight' has shape \[96, 64\]"):
        ckpt.linear(layer_name(0, "q"))
    with pytest.raises(InputError, match="no tensor 'model.layers.5.mlp.up_proj.weight'"):
        ckpt.linear(layer_name(5, "up"))
    with pytest.raises(InputError, match="no config.json"):
        open_checkpoint(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text(json.dumps({**CONFIG, "hidden_size": "x"}))
    with pytest.raises(InputError, match="'hidden_size' must be a positive integer"):
        open_checkpoint(tmp_path / "bad")
    (tmp_path / "bad" / "config.json").write_text(json.dumps(CONFIG))
    with pytest.raises(InputError, match="no model.safetensors"):
        open_checkpoint(tmp_path / "bad")
    (tmp_path / "bad" / "model.safetensors").write_bytes(b"\x05\x00")
    with pytest.raises(InputError, match="not a readable safetensors file"):
        open_checkpoint(tmp_path / "bad")


def test_unpack_layout():
    # one byte holds rows 0, R, 2R, 3R of a column (R = 1 here): fields 01 00 10 10 -> 0, -1, 1, 1
    assert checkpoint.unpack_ternary(np.array([[0b10100001]], np.uint8)).ravel().tolist() == [0, -1, 1, 1]
    assert checkpoint.unpack_ternary(np.array([[0b10100001]], np.uint8), rows=3).shape == (3, 1)
    with pytest.raises(InputError, match="code 3"):
        checkpoint.unpack_ternary(np.array([[0b11]], np.uint8))


# ----------------------------------------------------------------------------- transformers-built


@pytest.fixture(scope="module")
def bitnet_dirs(tmp_path_factory):
    """(packed sharded dir, float save_pretrained dir, {prefix: transformers' unpacked (out, in)})."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from safetensors.torch import save_file as save_torch
    from transformers.integrations.bitnet import WeightQuant, pack_weights, unpack_weights

    torch.compiler.set_stance("force_eager")
    root = tmp_path_factory.mktemp("bitnet")
    torch.manual_seed(0)
    cfg = {k: v for k, v in CONFIG.items() if k not in ("model_type", "quantization_config")}
    model = transformers.BitNetForCausalLM(transformers.BitNetConfig(**cfg))
    model.save_pretrained(root / "float")  # plain float latent weights
    state = model.state_dict()
    packed, unpacked = {}, {}
    for name, w in state.items():
        prefix = name[: -len(".weight")]
        if name.startswith("model.layers.") and name.endswith("_proj.weight"):
            w = w.float()
            codes = torch.sign(WeightQuant.apply(w)).to(torch.int8)  # transformers' ternary rule
            alpha = w.abs().mean().clamp(min=1e-5)
            packed[name] = pack_weights(codes.clone())
            packed[prefix + ".weight_scale"] = alpha.reshape(1).to(torch.bfloat16)
            unpacked[prefix] = unpack_weights(packed[name], dtype=torch.int8)[: w.shape[0]].numpy()
        elif name != "lm_head.weight":  # tied to the embedding
            packed[name] = w.to(torch.bfloat16).contiguous()
    torch.compiler.set_stance("default")
    out = root / "packed"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({**json.loads((root / "float" / "config.json").read_text()),
                                                 "quantization_config": CONFIG["quantization_config"]}))
    names = sorted(packed)
    shards = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
    for file, part in shards.items():
        save_torch({n: packed[n] for n in part}, str(out / file), metadata={"format": "pt"})
    index = {"metadata": {}, "weight_map": {n: f for f, part in shards.items() for n in part}}
    (out / "model.safetensors.index.json").write_text(json.dumps(index))
    return out, root / "float", unpacked


def test_transformers_packed_checkpoint_reads_bit_exact(bitnet_dirs):
    packed_dir, _, unpacked = bitnet_dirs
    ckpt = open_checkpoint(packed_dir)
    assert len(unpacked) == 2 * len(PROJECTIONS)
    for prefix, ref in unpacked.items():
        assert ckpt.info(prefix + ".weight").dtype == "U8" and set(np.unique(ref)) == {-1, 0, 1}
        lw = ckpt.linear(prefix)
        assert lw.reader == "bitnet-packed"
        assert np.array_equal(lw.values.T, ref), prefix
        assert isinstance(lw.scale, float) and lw.scale > 0
    head = ckpt.info(ckpt.head_tensor())
    assert (head.dtype, head.shape) == ("BF16", (256, 64))


def test_transformers_float_checkpoint_quantizes_on_load(bitnet_dirs):
    packed_dir, float_dir, unpacked = bitnet_dirs
    ckpt = open_checkpoint(float_dir)
    prefix = layer_name(0, "gate")
    with pytest.raises(InputError, match=f"'{prefix}.weight' holds float .* quantize: bitnet"):
        ckpt.linear(prefix)
    packed = open_checkpoint(packed_dir)
    for prefix, ref in unpacked.items():
        lw = ckpt.linear(prefix, quantize="bitnet")
        assert lw.reader == "float-latent" and np.array_equal(lw.values.T, ref), prefix
        assert lw.scale == pytest.approx(packed.linear(prefix).scale, rel=2**-8)  # bf16-stored alpha


def test_hardwired_design_reads_a_packed_layer(tmp_path, capsys):
    """A design names the directory and the layer; a packed layer forced to int8 exits 2 with one line."""
    import yaml

    from hwgen.cli import main
    from hwgen.hardwired import load_weights, parse_hardwired

    truth = write_numpy_checkpoint(tmp_path / "m")
    prefix = layer_name(1, "up")
    design = {"kind": "hardwired", "weights_file": str(tmp_path / "m"), "tensor": prefix}
    config = parse_hardwired(design)
    assert (config.workload.n, config.workload.m) == (64, 128)
    assert config.weights_file == str((tmp_path / "m").resolve())  # the manifest's path, not cwd-relative
    assert np.array_equal(load_weights(config), truth[prefix].T)
    path = tmp_path / "int8.yaml"
    path.write_text(yaml.safe_dump({**design, "weights": "int8"}))
    assert main(["estimate", str(path), "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{prefix}.weight is bitnet-packed ternary" in err[0] and "weights: int8" in err[0]


def test_hwgen_sweep_takes_the_model_directory(bitnet_dirs, tmp_path, capsys):
    """`hwgen sweep DIR`: the built-in space on the checkpoint, no other flag; a float one asks for quantize."""
    from hwgen.cli import main

    packed_dir, float_dir, _ = bitnet_dirs
    out = tmp_path / "r"
    assert main(["sweep", str(packed_dir), "--exhaustive", "--out", str(out), "--quiet"]) == 0
    report = (out / "report.md").read_text()
    assert "14 projection GEMVs (ternary); LM head 64 x 256 bf16: streamed" in report
    capsys.readouterr()
    assert main(["sweep", str(float_dir), "--exhaustive", "--out", str(tmp_path / "f"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds float (F32) latent weights" in err[0] and "quantize: bitnet" in err[0]
    assert not (tmp_path / "f").exists()
