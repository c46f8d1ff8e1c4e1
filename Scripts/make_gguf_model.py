#!/usr/bin/env python3
"""Writes Tests/Fixtures/gguf/llamatiny.gguf: the tiny LLaMA of Tests/Fixtures/hf/llamatiny/hf
(2 layers, d_model 64, 4 heads, d_mlp 128, vocabulary 50) as llama.cpp's converter would store
it, with the `gguf` package (llama.cpp's gguf-py) — a loadable GGUF model small enough to
commit (about 130 KB), for the tests of HookedTransformer.load(gguf:) and
HookedTransformer.fromPretrained(_:file:).

    pip install gguf==0.19.0 numpy
    python3 Scripts/make_gguf_model.py

As convert_hf_to_gguf.py does for `llama`: the metadata under `llama.*`, the tensors under
llama.cpp's names (`blk.N.attn_q.weight` …), and the rows of `attn_q` / `attn_k` permuted per
head (Hugging Face's rotate-half order → llama.cpp's adjacent pairs), which SwiftLens undoes.
Several storage types, so loading dequantises: norms F32, the token embedding and attention
matrices F16, the MLP matrices and the output head Q8_0. No tokenizer (`llama.vocab_size`
gives the vocabulary). Deterministic: the same input gives the same bytes.
"""
import json
import os
import struct
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "Tests", "Fixtures", "hf", "llamatiny", "hf")
OUT = os.path.join(HERE, "..", "Tests", "Fixtures", "gguf", "llamatiny.gguf")


def read_safetensors(path: str) -> dict[str, np.ndarray]:
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        start, end = entry["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(entry["shape"]).copy()
    return out


def permute(w: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's `LlamaModel.permute`: within each head, rows (2, D/2) → (D/2, 2)."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def add(writer: gguf.GGUFWriter, name: str, value: np.ndarray, kind: str) -> None:
    value = np.ascontiguousarray(value, dtype=np.float32)
    if kind == "F32":
        writer.add_tensor(name, value)
    elif kind == "F16":
        writer.add_tensor(name, value.astype(np.float16))
    else:
        writer.add_tensor(name, gguf.quants.quantize(value, T[kind]), raw_dtype=T[kind])


def main() -> None:
    with open(os.path.join(SOURCE, "config.json")) as f:
        config = json.load(f)
    weights = read_safetensors(os.path.join(SOURCE, "model.safetensors"))
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = config.get("head_dim") or config["hidden_size"] // heads

    w = gguf.GGUFWriter(OUT, "llama")
    w.add_name("SwiftLens llamatiny")
    w.add_vocab_size(config["vocab_size"])
    w.add_context_length(config["max_position_embeddings"])
    w.add_embedding_length(config["hidden_size"])
    w.add_block_count(config["num_hidden_layers"])
    w.add_feed_forward_length(config["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(config["rope_parameters"]["rope_theta"])
    w.add_layer_norm_rms_eps(config["rms_norm_eps"])

    add(w, "token_embd.weight", weights["model.embed_tokens.weight"], "F16")
    for l in range(config["num_hidden_layers"]):
        p = f"model.layers.{l}."
        add(w, f"blk.{l}.attn_norm.weight", weights[p + "input_layernorm.weight"], "F32")
        add(w, f"blk.{l}.attn_q.weight", permute(weights[p + "self_attn.q_proj.weight"], heads), "F16")
        add(w, f"blk.{l}.attn_k.weight", permute(weights[p + "self_attn.k_proj.weight"], kv_heads), "F16")
        add(w, f"blk.{l}.attn_v.weight", weights[p + "self_attn.v_proj.weight"], "F16")
        add(w, f"blk.{l}.attn_output.weight", weights[p + "self_attn.o_proj.weight"], "F16")
        add(w, f"blk.{l}.ffn_norm.weight", weights[p + "post_attention_layernorm.weight"], "F32")
        add(w, f"blk.{l}.ffn_gate.weight", weights[p + "mlp.gate_proj.weight"], "Q8_0")
        add(w, f"blk.{l}.ffn_up.weight", weights[p + "mlp.up_proj.weight"], "Q8_0")
        add(w, f"blk.{l}.ffn_down.weight", weights[p + "mlp.down_proj.weight"], "Q8_0")
    add(w, "output_norm.weight", weights["model.norm.weight"], "F32")
    add(w, "output.weight", weights["lm_head.weight"], "Q8_0")

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    reader = gguf.GGUFReader(OUT)
    print(f"{os.path.relpath(OUT)}: {len(reader.tensors)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    sys.exit(main())
