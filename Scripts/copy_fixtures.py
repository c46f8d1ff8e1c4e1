#!/usr/bin/env python3
"""Copies the TransformerLens fixtures the tests use from ../shared/fixtures into
Tests/Fixtures, so that a fresh clone passes its tests on its own.

The Hugging Face activation files hold every activation twice (classic names such as
`blocks.0.attn.hook_q` and TransformerLens 4.x component names such as `blocks.0.attn.q.hook_out`
with identical values); only the classic names, tokens, logits and losses are kept, which halves
them. Everything else is copied byte for byte, including the SmolLM2-135M-Instruct ground truth
(`smollm2/`: TransformerLens 4.3 activations of the real model, greedy generations and tokenizer
cases; its README says how they were made). The model itself is not a fixture: it is 98 MB and
Scripts/fetch_smollm2.sh fetches it into a cache outside the repository.

Usage: python3 Scripts/copy_fixtures.py [SHARED_FIXTURES_DIR]
"""
import json
import os
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "fixtures")
DST = os.path.join(ROOT, "Tests", "Fixtures")

CLASSIC = {
    "attn2l": ["config.json", "weights.safetensors", "activations.safetensors", "buffers.safetensors", "interventions.safetensors",
               "gradients.safetensors", "param_grads.safetensors", "interventions.json", "analysis.safetensors", "analysis.json"],
    "gpt2tiny": ["config.json", "weights.safetensors", "activations.safetensors", "buffers.safetensors", "interventions.safetensors",
                 "gradients.safetensors", "param_grads.safetensors", "interventions.json", "analysis.safetensors", "analysis.json",
                 "processed/config.json", "processed/weights.safetensors", "processed/activations.safetensors"],
    "llamatiny": ["config.json", "weights.safetensors", "activations.safetensors", "buffers.safetensors", "interventions.safetensors",
                  "gradients.safetensors", "param_grads.safetensors", "interventions.json", "analysis.safetensors", "analysis.json"],
    "shortformer": ["config.json", "weights.safetensors", "activations.safetensors", "buffers.safetensors", "interventions.safetensors",
                    "gradients.safetensors", "param_grads.safetensors", "interventions.json", "analysis.safetensors", "analysis.json"],
}
HF = {
    "gpt2tiny": ["config.json", "model.safetensors", "weights.safetensors", "weights_processed.safetensors",
                 "interventions.safetensors", "activations.safetensors", "activations_processed.safetensors"],
    "llamatiny": ["hf/config.json", "hf/model.safetensors", "weights.safetensors", "interventions.safetensors",
                  "activations.safetensors"],
}

# Real-model ground truth, directly under smollm2/ (no per-model directory).
SMOLLM2 = ["README.md", "config.json", "activations_text0.safetensors", "greedy_generation.json", "tokenizer_cases.json"]


def classic_key(name):
    """Keeps tokens, outputs and classic hook names; drops 4.x aliases (hook_in/hook_out, sub-modules)."""
    if name.startswith("rotary_emb."):
        return False
    if not name.startswith(("blocks.", "ln_final.", "hook_", "embed.", "pos_embed.", "unembed.")):
        return True
    last = name.split(".")[-1]
    if last in ("hook_in", "hook_out") or last in ("hook_hidden_states", "hook_cos", "hook_sin"):
        return False
    parts = name.split(".")
    # classic: blocks.L.hook_x, blocks.L.attn.hook_x, blocks.L.mlp.hook_x, blocks.L.ln1.hook_x, ln_final.hook_x, hook_x
    return len(parts) <= 4 and parts[-1].startswith("hook_")


def slim_safetensors(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out_header, chunks, offset = {}, [], 0
    if "__metadata__" in header:
        out_header["__metadata__"] = header.pop("__metadata__")
    for name in sorted(header, key=lambda k: header[k]["data_offsets"][0]):
        if not classic_key(name):
            continue
        entry = dict(header[name])
        begin, end = entry["data_offsets"]
        chunks.append(body[begin:end])
        entry["data_offsets"] = [offset, offset + end - begin]
        offset += end - begin
        out_header[name] = entry
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def copy(kind, model, rel):
    src = os.path.join(SRC, kind, model, rel)
    dst = os.path.join(DST, kind, model, rel)
    if not os.path.exists(src):
        sys.exit(f"copy_fixtures: {src} is missing; expected the shared fixtures in {SRC}")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if kind == "hf" and os.path.basename(rel).startswith("activations"):
        slim_safetensors(src, dst)
    else:
        shutil.copyfile(src, dst)


for model, files in CLASSIC.items():
    for rel in files:
        copy("classic", model, rel)
for model, files in HF.items():
    for rel in files:
        copy("hf", model, rel)
for rel in SMOLLM2:
    copy("smollm2", "", rel)
print("copied into", DST)
