#!/usr/bin/env python3
"""Writes the GGUF reference fixtures in Tests/Fixtures/gguf with the `gguf` package (llama.cpp's
gguf-py), the reference SwiftLens's GGUF reader and dequantiser are checked against bit for bit.

    pip install gguf==0.19.0 numpy
    python3 Scripts/make_gguf_references.py        # rewrites Tests/Fixtures/gguf

Output (deterministic: every random byte comes from one seeded generator):

* blocks/<TYPE>.bin and blocks/<TYPE>.f32: random bytes in the block format of each quantisation
  type (random bytes are valid input: every bit pattern decodes to something, including NaN and
  infinite scales), and their dequantised float32 values from `gguf.quants.dequantize`,
  little-endian. F16 covers all 65,536 half-precision bit patterns (every subnormal and NaN).
* metadata-v3.gguf: every metadata value type, arrays of each, nested arrays, an array of
  strings, non-ASCII strings; a few tensors. Written with gguf.GGUFWriter (version 3).
* tensors-v2-align64.gguf: version 2 (gguf-py only writes 3; v2 and v3 have the same
  little-endian layout, so the writer's version constant is patched), `general.alignment` = 64,
  one tensor of each supported type in 1-D, 2-D and 3-D shapes.
* tiny.gguf: the fuzz suite's base (LensFuzz family `gguf`): a few keys of each kind and small
  tensors of several types, about 6 KB.
* <file>.json: for each .gguf, its version, alignment, data offset and tensors (name, ggml dims,
  type, offset, byte count) as gguf.GGUFReader reads them; <file>.f32: every tensor dequantised
  by `gguf.quants.dequantize`, in tensor order.
"""
import importlib.metadata
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V
from gguf.constants import GGML_QUANT_SIZES

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "gguf")
SUPPORTED = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]
rng = np.random.default_rng(20260512)


def dequantize(raw: np.ndarray, qtype: T) -> np.ndarray:
    """gguf-py's reference dequantisation, float32 (F32/F16/BF16 included)."""
    if qtype == T.BF16:
        # gguf.quants.dequantize handles BF16 through its block class; view the bytes as uint8 rows.
        return gguf.quants.dequantize(raw.view(np.uint8), qtype).astype(np.float32)
    return gguf.quants.dequantize(raw, qtype).astype(np.float32, copy=False)


def random_blocks(qtype: T, n_blocks: int) -> np.ndarray:
    _, type_size = GGML_QUANT_SIZES[qtype]
    return rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)


def write_block_references() -> None:
    out = os.path.join(ROOT, "blocks")
    os.makedirs(out, exist_ok=True)
    for name in SUPPORTED:
        qtype = T[name]
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        if name == "F16":
            raw = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.uint8).reshape(1, -1)
        elif block_size == 1:
            raw = random_blocks(qtype, 4096).reshape(1, -1)
        else:
            raw = random_blocks(qtype, 128 if block_size == 32 else 32)
        if name == "F32":
            values = raw.view(np.float32).copy()
        elif name == "F16":
            values = raw.view(np.float16).astype(np.float32)
        else:
            values = dequantize(raw, qtype)
        assert values.dtype == np.float32 and values.size == raw.size // type_size * block_size
        raw.tofile(os.path.join(out, f"{name}.bin"))
        values.astype("<f4").tofile(os.path.join(out, f"{name}.f32"))


def raw_tensor(qtype: T, shape: tuple[int, ...]) -> np.ndarray:
    """Random bytes for a tensor of numpy `shape` stored as `qtype` (a uint8 array gguf-py accepts)."""
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    per_row = shape[-1] // block_size * type_size
    data = rng.integers(0, 256, size=(rows, per_row), dtype=np.uint8)
    return data.reshape(*shape[:-1], per_row) if len(shape) > 1 else data.reshape(per_row)


def add_raw(writer: gguf.GGUFWriter, name: str, type_name: str, shape: tuple[int, ...]) -> None:
    qtype = T[type_name]
    if type_name == "F32":
        writer.add_tensor(name, rng.standard_normal(shape).astype(np.float32))
    else:
        # Raw bytes; the writer derives the element shape from the byte shape and the type.
        writer.add_tensor(name, raw_tensor(qtype, shape), raw_dtype=qtype)


def finish(writer: gguf.GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def describe(path: str) -> None:
    """<path>.json and <path>.f32 from gguf-py's reader."""
    reader = gguf.GGUFReader(path)
    version = int(reader.fields["GGUF.version"].parts[-1][0])
    alignment = reader.alignment
    tensors = []
    values = []
    for t in reader.tensors:
        qtype = T(t.tensor_type)
        raw = np.asarray(t.data)
        if qtype in (T.F32, T.F16):
            v = raw.astype(np.float32)
        else:
            v = dequantize(raw.view(np.uint8), qtype)
        shape = [int(d) for d in reversed(t.shape.tolist())]
        assert int(np.prod(shape)) == v.size, (t.name, shape, v.shape)
        tensors.append({"name": t.name, "dims": [int(d) for d in t.shape.tolist()], "shape": shape,
                        "type": qtype.name, "offset": int(t.data_offset - reader.data_offset),
                        "bytes": int(t.n_bytes), "elements": int(v.size)})
        values.append(v.reshape(-1))
    info = {"version": version, "alignment": int(alignment), "data_offset": int(reader.data_offset),
            "file_size": os.path.getsize(path), "keys": [k for k in reader.fields if not k.startswith("GGUF.")],
            "tensors": tensors}
    with open(path[:-5] + ".json", "w") as f:
        json.dump(info, f, indent=1, sort_keys=True)
        f.write("\n")
    np.concatenate(values).astype("<f4").tofile(path[:-5] + ".f32")


def add_every_metadata_type(w: gguf.GGUFWriter) -> None:
    # One scalar of each type, at or near its extremes.
    w.add_uint8("test.uint8", 255)
    w.add_int8("test.int8", -128)
    w.add_uint16("test.uint16", 65535)
    w.add_int16("test.int16", -32768)
    w.add_uint32("test.uint32", 4294967295)
    w.add_int32("test.int32", -2147483648)
    w.add_float32("test.float32", 0.15625)
    w.add_uint64("test.uint64", 18446744073709551615)
    w.add_int64("test.int64", -9223372036854775808)
    w.add_float64("test.float64", -2.5e-300)
    w.add_bool("test.bool_true", True)
    w.add_bool("test.bool_false", False)
    w.add_string("test.string", "héllo, wörld ✓")
    w.add_string("test.empty_string", "")  # skipped by gguf-py (an empty string is in test.array.string)
    # Arrays of each element type.
    for vtype, values in [(V.UINT8, [0, 1, 255]), (V.INT8, [-128, 0, 127]), (V.UINT16, [0, 65535]),
                          (V.INT16, [-32768, 32767]), (V.UINT32, [0, 4294967295]), (V.INT32, [-2147483648, 7]),
                          (V.FLOAT32, [1.5, -0.25, 1e-45]), (V.UINT64, [0, 18446744073709551615]),
                          (V.INT64, [-9223372036854775808, 9223372036854775807]), (V.FLOAT64, [3.25, -1e300]),
                          (V.BOOL, [True, False, True]), (V.STRING, ["a", "", "ünïcode", "<0x0A>"])]:
        w.add_key_value(f"test.array.{vtype.name.lower()}", values, V.ARRAY, sub_type=vtype)
    # Nested arrays: arrays of arrays (of int32, of strings), and three levels deep.
    w.add_array("test.nested.int32", [[1, 2, 3], [4], [5, 6]])
    w.add_array("test.nested.strings", [["x", "yz"], ["w"]])
    w.add_array("test.nested.deep", [[[1], [2, 3]], [[4, 5, 6]]])


def write_metadata_v3() -> None:
    path = os.path.join(ROOT, "metadata-v3.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("SwiftLens GGUF metadata fixture")
    w.add_block_count(2)
    w.add_context_length(64)
    w.add_embedding_length(32)
    add_every_metadata_type(w)
    add_raw(w, "token_embd.weight", "Q8_0", (8, 32))
    add_raw(w, "blk.0.attn_norm.weight", "F32", (32,))
    add_raw(w, "blk.0.attn_q.weight", "Q4_K", (3, 256))
    add_raw(w, "blk.0.ffn_up.weight", "F16", (2, 3, 4))
    finish(w)
    describe(path)


def write_tensors_v2() -> None:
    path = os.path.join(ROOT, "tensors-v2-align64.gguf")
    saved = gguf.gguf_writer.GGUF_VERSION
    gguf.gguf_writer.GGUF_VERSION = 2
    try:
        w = gguf.GGUFWriter(path, "llama")
        w.add_custom_alignment(64)
        w.add_uint32("llama.block_count", 1)
        for name in SUPPORTED:
            block = GGML_QUANT_SIZES[T[name]][0]
            width = 256 if block == 256 else 64
            add_raw(w, f"{name.lower()}.matrix", name, (3, width))
            add_raw(w, f"{name.lower()}.vector", name, (width,))
        add_raw(w, "q4_1.cube", "Q4_1", (2, 3, 32))
        add_raw(w, "bf16.cube", "BF16", (2, 2, 5))
        finish(w)
    finally:
        gguf.gguf_writer.GGUF_VERSION = saved
    describe(path)


def write_tiny() -> None:
    path = os.path.join(ROOT, "tiny.gguf")
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny")
    w.add_block_count(1)
    w.add_uint64("tiny.count64", 3)
    w.add_int8("tiny.small", -3)
    w.add_float32("tiny.eps", 1e-5)
    w.add_float64("tiny.theta", 10000.0)
    w.add_bool("tiny.flag", True)
    w.add_key_value("tiny.tokens", ["<s>", "a", "bc"], V.ARRAY, sub_type=V.STRING)
    w.add_key_value("tiny.scores", [0.0, -1.5, 2.25], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("tiny.bytes", [1, 2, 3, 4], V.ARRAY, sub_type=V.UINT8)
    w.add_array("tiny.nested", [[1, 2], [3]])
    add_raw(w, "a.f32", "F32", (4, 3))
    add_raw(w, "b.q8_0", "Q8_0", (2, 32))
    add_raw(w, "c.q4_1", "Q4_1", (2, 32))
    add_raw(w, "d.q4_k", "Q4_K", (1, 256))
    add_raw(w, "e.f16", "F16", (5,))
    add_raw(w, "f.q6_k", "Q6_K", (256,))
    finish(w)
    describe(path)


def main() -> None:
    os.makedirs(ROOT, exist_ok=True)
    write_block_references()
    write_metadata_v3()
    write_tensors_v2()
    write_tiny()
    # gguf-py reads back what it wrote, version 2 included.
    for name in ["metadata-v3", "tensors-v2-align64", "tiny"]:
        r = gguf.GGUFReader(os.path.join(ROOT, name + ".gguf"))
        print(f"{name}.gguf: v{int(r.fields['GGUF.version'].parts[-1][0])}, {len(r.fields)} fields, "
              f"{len(r.tensors)} tensors, alignment {r.alignment}, {os.path.getsize(os.path.join(ROOT, name + '.gguf'))} bytes")
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"Tests/Fixtures/gguf: {total} bytes (gguf {importlib.metadata.version('gguf')}, numpy {np.__version__})")


if __name__ == "__main__":
    sys.exit(main())
