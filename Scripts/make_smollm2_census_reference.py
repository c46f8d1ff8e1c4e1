#!/usr/bin/env python3
"""TransformerLens's numbers for SmolLM2-135M-Instruct's induction-head census, on repeated
random tokens after a BOS: the reference `Tests/Fixtures/smollm2/census_reference.json` that
`RealModelInductionTests` checks SwiftLens against.

    pip install transformer-lens transformers gguf torch numpy
    python3 Scripts/make_smollm2_census_reference.py --gguf FILE.gguf --out Tests/Fixtures/smollm2/census_reference.json

transformers loads the GGUF (dequantised to Float32); TransformerLens 4.3 wraps it in a
`TransformerBridge` in compatibility mode (legacy hook names, no weight processing), whose logits
equal transformers'. Tokens: 4 sequences of BOS (id 1) + 50 distinct random ids (numpy seed 7,
drawn from 2..49151) + the same 50 again, [4, 101].

Scores per head from TransformerLens's `hook_pattern` (A [batch, head, q, k]; copies at
positions 1..50 and 51..100): induction = mean over the second copy of A[i, i − 49]; previous
token = mean over i ≥ 2 of A[i, i − 1]; duplicate = mean over the second copy of A[i, i − 50];
first token = mean over i ≥ 1 of A[i, 0]. Zero ablation: `hook_z[:, :, h] = 0` in one layer;
induction loss = mean next-token loss at positions 51 ..< 100 (the second copy after its first
token), control = mean loss at positions 1 ..< 50 (the first copy); for every head of the layers
`--ablate-layers` names (default 0, 16, 17, 18: the earliest layer and the induction circuit's;
`all` takes every layer), by layer.
"""
import argparse, json, os, sys, time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gguf", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-ablation", action="store_true")
    p.add_argument("--ablate-layers", default="0,16,17,18",
                   help="comma-separated layers whose heads are ablated one at a time (all: every layer, ~4 min on an idle 2-core machine)")
    a = p.parse_args()
    import numpy as np, torch
    torch.set_num_threads(a.threads)
    import transformers
    from transformers import AutoModelForCausalLM
    import importlib.metadata as md
    from transformer_lens.model_bridge import TransformerBridge
    import tempfile

    path = os.path.abspath(a.gguf)
    hf = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                              torch_dtype=torch.float32, attn_implementation="eager")
    hf.eval()
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
    with tempfile.TemporaryDirectory() as d:
        hf.config.save_pretrained(d)
        tokenizer.save_pretrained(d)
        bridge = TransformerBridge.boot_transformers(d, device="cpu", dtype=torch.float32, hf_model=hf, tokenizer=tokenizer)
    bridge.enable_compatibility_mode(disable_warnings=True, no_processing=True)
    bridge.eval()

    L, batch, bos = 50, 4, 1
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(batch):
        half = rng.choice(np.arange(2, hf.config.vocab_size), size=L, replace=False).tolist()
        rows.append([bos] + half + half)
    tokens = torch.tensor(rows)
    layers, heads = hf.config.num_hidden_layers, hf.config.num_attention_heads
    t = 2 * L + 1

    with torch.inference_mode():
        logits, cache = bridge.run_with_cache(tokens)
        ref = hf(tokens).logits
        diff = (logits - ref).abs().max().item()
        scores = {"induction": [], "previous_token": [], "duplicate_token": [], "first_token": []}
        for l in range(layers):
            A = cache[f"blocks.{l}.attn.hook_pattern"].double()  # [b, h, t, t]
            second = torch.arange(1 + L, t)
            scores["induction"].append(A[:, :, second, second - L + 1].mean(dim=(0, 2)).tolist())
            scores["duplicate_token"].append(A[:, :, second, second - L].mean(dim=(0, 2)).tolist())
            rows_prev = torch.arange(2, t)
            scores["previous_token"].append(A[:, :, rows_prev, rows_prev - 1].mean(dim=(0, 2)).tolist())
            rows_first = torch.arange(1, t)
            scores["first_token"].append(A[:, :, rows_first, 0].mean(dim=(0, 2)).tolist())

        def losses(logits):
            lp = torch.log_softmax(logits.double(), dim=-1)
            per = -lp[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]   # [b, t - 1]
            return per[:, L + 1:2 * L].mean().item(), per[:, 1:L].mean().item()

        clean_induction, clean_control = losses(logits)
        out = {"how": __doc__.strip().split("\n\n")[0],
               "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                            "transformer-lens": md.version("transformer-lens"), "numpy": np.__version__},
               "tl_vs_transformers_max_logit_diff": diff, "tokens": rows, "scores": scores,
               "clean": {"induction_loss": clean_induction, "control_loss": clean_control}}
        if not a.no_ablation:
            chosen = list(range(layers)) if a.ablate_layers == "all" else [int(x) for x in a.ablate_layers.split(",")]
            ind = {}
            ctl = {}
            start = time.time()
            for l in chosen:
                ind[str(l)] = [0.0] * heads
                ctl[str(l)] = [0.0] * heads
                for h in range(heads):
                    def hook(z, hook, h=h):
                        z[:, :, h, :] = 0
                        return z
                    lg = bridge.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{l}.attn.hook_z", hook)])
                    ind[str(l)][h], ctl[str(l)][h] = losses(lg)
                print(f"layer {l} done ({time.time() - start:.0f} s)", file=sys.stderr)
            out["zero_ablation"] = {"induction_loss": ind, "control_loss": ctl, "seconds": time.time() - start}
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
