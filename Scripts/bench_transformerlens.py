#!/usr/bin/env python3
"""The peer figures of `lens bench forward --model`: a GGUF model (SmolLM2-135M-Instruct's Q4_1
file) timed in transformers and TransformerLens on this machine, printed as one JSON object.

    pip install transformer-lens transformers gguf torch
    python3 Scripts/bench_transformerlens.py --gguf FILE.gguf [--threads 2] [--quick] [--bridge]

Nothing comes from a model hub: transformers loads the GGUF itself (`from_pretrained(dir,
gguf_file=…)`, every tensor dequantised to float32, eager attention). TransformerLens 4 has no
classic `HookedTransformer` (removed in 4.0, so no `from_pretrained_no_processing`); its
`TransformerBridge.boot_transformers` wraps that same transformers model (`hf_model=`, the config
and tokenizer given from a temporary directory, offline), with raw weights — the
no-processing numerics; `--compat` also turns on `enable_compatibility_mode(no_processing=True)`
(legacy hook names). Its logits are checked against transformers' before anything is timed.

Timed (median of at least 5 runs and 2 s, after one warm-up; `torch.inference_mode`): forward
1×128 and 8×128 of transformers and TransformerLens, and TransformerLens's `run_with_cache` 1×128
(every hook); the token ids are random (seed 5). Also the load time of the GGUF in transformers
and the bridge's boot time.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def median_time(fn, min_runs, min_seconds):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < min_seconds and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--compat", action="store_true", help="time the bridge in compatibility mode (legacy hook names, no processing)")
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    import transformers
    from transformers import AutoModelForCausalLM
    import importlib.metadata as md

    min_runs, min_seconds = (2, 0.3) if args.quick else (5, 2.0)
    out = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                        "transformer-lens": md.version("transformer-lens")},
           "threads": args.threads, "results": {}, "errors": []}
    path = os.path.abspath(args.gguf)

    t0 = time.perf_counter()
    hf = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                              torch_dtype=torch.float32, attn_implementation="eager")
    hf.eval()
    out["hf_gguf_load_seconds"] = time.perf_counter() - t0
    c = hf.config
    vocab = c.vocab_size
    g = torch.Generator().manual_seed(5)
    tokens = {b: torch.randint(0, vocab, (b, 128), generator=g) for b in (1, 8)}

    hf_times = out["results"]["transformers"] = {}
    with torch.inference_mode():
        for b in (1, 8):
            hf_times[f"forward {b}x128"] = median_time(lambda: hf(tokens[b]).logits, min_runs, min_seconds)

    # TransformerLens 4 (HookedTransformer was removed in 4.0): TransformerBridge around the same
    # transformers model. boot_transformers reads the config (and tokenizer) from a directory,
    # given here offline; the weights are the model already loaded (hf_model=).
    from transformer_lens.model_bridge import TransformerBridge
    with tempfile.TemporaryDirectory() as d:
        hf.config.save_pretrained(d)
        tokenizer = None
        try:
            from transformers import AutoTokenizer
            tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
            tokenizer.save_pretrained(d)
        except Exception as e:
            out["errors"].append(f"tokenizer from the GGUF: {type(e).__name__}: {e}")
        t0 = time.perf_counter()
        bridge = TransformerBridge.boot_transformers(d, device="cpu", dtype=torch.float32, hf_model=hf, tokenizer=tokenizer)
        out["bridge_boot_seconds"] = time.perf_counter() - t0
    if args.compat:
        # Legacy HookedTransformer hook names, no weight processing (from_pretrained_no_processing).
        bridge.enable_compatibility_mode(disable_warnings=True, no_processing=True)
    out["transformerlens_mode"] = "TransformerBridge" + (" + enable_compatibility_mode(no_processing=True)" if args.compat else " (raw weights)")
    bridge.eval()
    with torch.inference_mode():
        diff = (bridge(tokens[1]) - hf(tokens[1]).logits).abs().max().item()
    out["tl_vs_transformers_max_logit_diff"] = diff
    if not diff < 1e-2:
        out["errors"].append(f"TransformerLens logits differ from transformers' by {diff}")
    tl_times = out["results"]["transformerlens"] = {}
    with torch.inference_mode():
        for b in (1, 8):
            tl_times[f"forward {b}x128"] = median_time(lambda: bridge(tokens[b]), min_runs, min_seconds)
        tl_times["runWithCache 1x128"] = median_time(lambda: bridge.run_with_cache(tokens[1]), min_runs, min_seconds)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
