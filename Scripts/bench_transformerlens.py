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

`--sweep` (the peer of `lens bench sweep --model`) times instead TransformerLens's loop for
every-head zero ablation: one hooked forward per head (`blocks.L.attn.hook_z[:, :, h] = 0`, in
compatibility mode) on 4 × (BOS + 2 × 50) repeated random tokens, each followed by the induction
loss. Every forward of that loop does the same work, so the median of `--sample` of them (heads
spread over the layers) times the number of heads is the loop's time; `--full` runs the loop.
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
    parser.add_argument("--sweep", action="store_true", help="time the every-head zero-ablation loop instead")
    parser.add_argument("--sample", type=int, default=12, help="with --sweep: hooked forwards timed (spread over the heads)")
    parser.add_argument("--full", action="store_true", help="with --sweep: run the whole loop")
    args = parser.parse_args()
    if args.sweep:
        args.compat = True

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
    if args.sweep:
        time_ablation_loop(bridge, c, args, out)
        json.dump(out, sys.stdout)
        print()
        return
    with torch.inference_mode():
        for b in (1, 8):
            tl_times[f"forward {b}x128"] = median_time(lambda: bridge(tokens[b]), min_runs, min_seconds)
        tl_times["runWithCache 1x128"] = median_time(lambda: bridge.run_with_cache(tokens[1]), min_runs, min_seconds)
    json.dump(out, sys.stdout)
    print()


def time_ablation_loop(bridge, c, args, out):
    """TransformerLens's every-head zero-ablation loop on 4 × (BOS + 2 × 50) repeated tokens."""
    import numpy as np, torch
    L, batch, bos = 50, 4, 1
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(batch):
        half = rng.choice(np.arange(2, c.vocab_size), size=L, replace=False).tolist()
        rows.append([bos] + half + half)
    tokens = torch.tensor(rows)
    heads = [(l, h) for l in range(c.num_hidden_layers) for h in range(c.num_attention_heads)]

    def ablated_loss(layer, head):
        def hook(z, hook):
            z[:, :, head] = 0.0
            return z
        logits = bridge.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])
        logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
        loss = -logp.gather(-1, tokens[:, 1:, None])[..., 0]
        return loss[:, L + 1:].mean().item()

    with torch.inference_mode():
        ablated_loss(*heads[0])  # warm-up
        if args.full:
            t0 = time.perf_counter()
            for l, h in heads:
                ablated_loss(l, h)
            loop = time.perf_counter() - t0
            out["results"]["transformerlens"]["ablation loop measured"] = loop
        step = max(1, len(heads) // max(args.sample, 1))
        times = []
        for l, h in heads[::step][:args.sample]:
            t0 = time.perf_counter()
            ablated_loss(l, h)
            times.append(time.perf_counter() - t0)
    per_forward = statistics.median(times)
    out["results"]["transformerlens"]["hooked forward 4x101"] = per_forward
    out["results"]["transformerlens"]["ablation loop"] = out["results"]["transformerlens"].get("ablation loop measured", per_forward * len(heads))
    out["heads"] = len(heads)
    out["sampled_forwards"] = len(times)


if __name__ == "__main__":
    main()
