#!/usr/bin/env python3
"""Times tiktoken (GPT-2) and Hugging Face `tokenizers` (SmolLM2) on the corpora of
`lens bench tokenizer`, on one thread, so SwiftLens's figures sit beside theirs from the same run.

Usage: python3 Scripts/bench_tokenizers.py --out DIR [--tiktoken FILE] [--smollm2 TOKENIZER_JSON]
                                          [--corpus-bytes N] [--quick]

Writes DIR/prose.txt (~1 MB of English prose: licence texts and package descriptions from
site-packages, then this repository's Markdown) and DIR/code.txt (~1 MB of Python sources from the
standard library), each the first N bytes of its files in sorted order, cut at a character
boundary; the ids each reference produced as DIR/<name>-<corpus>.ids (int32 little-endian), so the
caller can check parity on the same bytes; and prints one JSON object:
{"versions": {...}, "corpora": {"prose": {"bytes", "files", "sha256"}, ...},
 "results": {"tiktoken gpt2": {"prose": MB/s, "code": MB/s}, "tokenizers smollm2": {...}}}.
A reference that is not installed (or whose vocabulary is missing) is left out.
"""
import glob
import hashlib
import json
import os
import sys
import sysconfig
import time
from array import array

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def argument(name, default=None):
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args else default


def best_time(fn, min_runs=3, min_seconds=1.0):
    fn()
    best, runs, start = float("inf"), 0, time.perf_counter()
    while runs < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def build(files, limit):
    """The first `limit` bytes of the files' UTF-8 text, cut at a character boundary."""
    parts, total, used = [], 0, []
    for path in files:
        try:
            with open(path, "rb") as f:
                data = f.read()
            data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not data.strip():
            continue
        parts.append(data if data.endswith(b"\n") else data + b"\n")
        used.append(path)
        total += len(parts[-1])
        if total >= limit:
            break
    blob = b"".join(parts)[:limit]
    return blob.decode("utf-8", errors="ignore").encode("utf-8"), used


def corpora(limit):
    purelib = sysconfig.get_paths()["purelib"]
    stdlib = sysconfig.get_paths()["stdlib"]
    licences = sorted(set(glob.glob(f"{purelib}/*.dist-info/LICEN[CS]E*") + glob.glob(f"{purelib}/*.dist-info/licenses/**/*", recursive=True)
                          + glob.glob(f"{purelib}/*.dist-info/COPYING*") + glob.glob(f"{stdlib}/../LICENSE.txt")))
    descriptions = sorted(glob.glob(f"{purelib}/*.dist-info/METADATA"))
    markdown = sorted(glob.glob(f"{ROOT}/**/*.md", recursive=True))
    prose, prose_files = build([p for p in licences + descriptions + markdown if os.path.isfile(p)], limit)
    code, code_files = build(sorted(glob.glob(f"{stdlib}/*.py")) + sorted(glob.glob(f"{stdlib}/*/*.py")), limit)
    return {"prose": (prose, prose_files), "code": (code, code_files)}


def main():
    out = argument("--out")
    if not out:
        sys.exit("usage: bench_tokenizers.py --out DIR [--tiktoken FILE] [--smollm2 TOKENIZER_JSON] [--corpus-bytes N] [--quick]")
    quick = "--quick" in sys.argv
    limit = int(argument("--corpus-bytes", str(1 << 20)))
    os.makedirs(out, exist_ok=True)
    texts = {}
    report = {"versions": {"python": sys.version.split()[0]}, "corpora": {}, "results": {}}
    for name, (blob, files) in corpora(limit).items():
        with open(os.path.join(out, f"{name}.txt"), "wb") as f:
            f.write(blob)
        texts[name] = blob.decode("utf-8")
        report["corpora"][name] = {"bytes": len(blob), "files": len(files), "sha256": hashlib.sha256(blob).hexdigest()}

    encoders = {}
    tiktoken_file = argument("--tiktoken", os.path.join(ROOT, "Tests/Fixtures/tokenizers/gpt2.tiktoken"))
    try:
        import tiktoken
        import tiktoken.load
        ranks = tiktoken.load.load_tiktoken_bpe(tiktoken_file)
        pattern = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
        enc = tiktoken.Encoding(name="gpt2", pat_str=pattern, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(ranks)})
        encoders["tiktoken gpt2"] = enc.encode_ordinary
        report["versions"]["tiktoken"] = tiktoken.__version__
    except Exception as error:  # not installed, or the file is missing
        report["versions"]["tiktoken"] = f"unavailable: {error}"
    smollm2 = argument("--smollm2")
    if smollm2:
        try:
            import tokenizers
            tok = tokenizers.Tokenizer.from_file(smollm2)
            encoders["tokenizers smollm2"] = lambda text: tok.encode(text).ids
            report["versions"]["tokenizers"] = tokenizers.__version__
        except Exception as error:
            report["versions"]["tokenizers"] = f"unavailable: {error}"

    for label, encode in encoders.items():
        report["results"][label] = {}
        for name, text in texts.items():
            ids = encode(text)
            array("i", ids).tofile(open(os.path.join(out, f"{label.replace(' ', '-')}-{name}.ids"), "wb"))
            seconds = best_time(lambda: encode(text), min_runs=2 if quick else 3, min_seconds=0.2 if quick else 1.0)
            report["results"][label][name] = len(text.encode("utf-8")) / seconds / 1e6
    print(json.dumps(report))


if __name__ == "__main__":
    main()
