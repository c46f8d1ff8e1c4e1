#!/usr/bin/env python3
"""The peer figures of `lens bench generate`: greedy generation of a GGUF model (SmolLM2-135M-
Instruct's Q4_1 file) in Hugging Face transformers on this machine, printed as one JSON object.

    pip install transformers gguf torch
    python3 Scripts/bench_transformers_generate.py --gguf FILE.gguf [--threads 2] [--quick]

transformers loads the GGUF itself (every tensor dequantised to float32, eager attention) and
generates with its KV cache. Timed (after one warm-up; `torch.inference_mode`): prefill of a
32-token and a 128-token prompt (one forward with the cache), and `generate` of 128 new tokens
after a 32-token prompt (greedy, `min_new_tokens` so EOS does not stop it); decode tokens/s =
127 / (that time − the time of generating 1 token, i.e. the prefill and its overheads). Token
ids are random (seed 5).
"""
import argparse
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_transformerlens import median_time  # noqa: E402  (one warm-up, then the median of the runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--new", type=int, default=128)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    import transformers
    from transformers import AutoModelForCausalLM

    path = os.path.abspath(args.gguf)
    hf = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                              torch_dtype=torch.float32, attn_implementation="eager")
    hf.eval()
    g = torch.Generator().manual_seed(5)
    vocab = hf.config.vocab_size
    prompt32 = torch.randint(0, vocab, (1, 32), generator=g)
    prompt128 = torch.randint(0, vocab, (1, 128), generator=g)
    runs = 3 if args.quick else 5
    new = args.new
    out = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__},
           "threads": args.threads, "new_tokens": new}
    with torch.inference_mode():
        out["prefill32_seconds"] = median_time(lambda: hf(prompt32, use_cache=True), runs, 0)
        out["prefill128_seconds"] = median_time(lambda: hf(prompt128, use_cache=True), runs, 0)
        def generate(n):
            return lambda: hf.generate(prompt32, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                                       pad_token_id=hf.config.eos_token_id or 0)
        out["generate1_seconds"] = median_time(generate(1), runs, 0)
        out["generate_seconds"] = median_time(generate(new), 1 if args.quick else 3, 0)
    out["decode_tokens_per_second"] = (new - 1) / max(out["generate_seconds"] - out["generate1_seconds"], 1e-9)
    out["prefill128_tokens_per_second"] = 128 / out["prefill128_seconds"]
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
