#!/usr/bin/env python3
"""Extracts a GGUF file's byte-level BPE tokenizer (tokenizer.ggml.*) to JSON, and writes the same
vocabulary as a Hugging Face tokenizer.json built the way transformers reads a GGUF: BPE with the
GGUF's merges, pre-tokenizer ByteLevel(add_prefix_space=False, use_regex=True), decoder ByteLevel,
control tokens (type 3) as special added tokens. It then checks the tokenizer.json against the
SmolLM2 fixture's ids.

Usage: python3 Scripts/extract_smollm2_vocab.py GGUF OUT_DIR [tokenizer_cases.json]
"""
import json
import os
import sys

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

KEYS = ["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.merges",
        "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token"]


def main():
    gguf_path, out_dir = sys.argv[1], sys.argv[2]
    reader = gguf.GGUFReader(gguf_path)
    meta = {key: reader.fields[key].contents() for key in KEYS if key in reader.fields}
    with open(os.path.join(out_dir, "smollm2-gguf-vocab.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)

    tokens, types = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t, k in zip(tokens, types) if k == 3])
    path = os.path.join(out_dir, "smollm2-tokenizer.json")
    tok.save(path)

    if len(sys.argv) > 3:
        cases = json.load(open(sys.argv[3], encoding="utf-8"))["cases"]
        bad = [c["i"] for c in cases if tok.encode(c["text"]).ids != c["smollm2"]["ids"]]
        if bad:
            sys.exit(f"tokenizer.json disagrees with the fixture's SmolLM2 ids on cases {bad}")
        print(f"checked {len(cases)} fixture cases")
    print(f"wrote {out_dir}/smollm2-gguf-vocab.json and smollm2-tokenizer.json ({len(tokens)} tokens, {len(merges)} merges)")


if __name__ == "__main__":
    main()
