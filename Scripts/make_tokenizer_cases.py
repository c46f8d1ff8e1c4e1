#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizers/extra_cases.json, the committed reference data of the tokenizer
tests beyond tests/Fixtures/smollm2/tokenizer_cases.json:

  gpt2          strings that reach the long-pre-token merge path (> 128 bytes), white-space runs of
                every kind, digits of several scripts, and added-token look-alikes, with tiktoken's
                ids (encode_ordinary, and allowed_special="all")
  gpt2_decode   id sequences cut inside multi-byte characters, with tiktoken's decode (errors="replace")
  hf            small byte-level BPE vocabularies trained here with Hugging Face tokenizers (saved as
                tokenizer.json text: merges as [a, b] arrays, as "a b" strings, and with a
                Digits(individual_digits) pre-tokenizer), added tokens with lstrip / rstrip /
                single_word / normalized, and the ids tokenizers gives for a list of strings

Needs tiktoken and tokenizers (pip install tiktoken tokenizers). Usage: python3 Scripts/make_tokenizer_cases.py
"""
import json
import os

import tiktoken
import tiktoken.load
import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/Fixtures/tokenizers/extra_cases.json")

GPT2_STRINGS = [
    "=" * 300,
    "a" * 1000,
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 8,
    "1234567890" * 40,
    "!@#$%^&*()" * 30 + " trailing",
    "ab" * 200 + " " + "ba" * 200,
    " " * 7 + "x" + " " * 7,
    "\t\t x\n \n\n  y \r\n\r\n\u00a0\u00a0z\u3000\u3000w\u2028\u2029v\u0085u   ",
    "   ",
    "\n",
    " \n ",
    "x \u00a0y",
    "it's it'S IT'S it''s it' s 'll've're'd'm't's",
    "\u0661\u0662\u0663 \u0967\u0968 \u00b2\u00b3\u00bd \u2160\u2161 \u4e00\u4e8c 12",
    "e\u0301\u0301 \u0915\u094d\u0937 \u0e01\u0e34",
    "\U0001F9D1\u200d\U0001F4BB\U0001F469\u200d\U0001F469\u200d\U0001F467 \U0001F44D\U0001F3FD\ufe0f",
    "<|endoftext|><|endoftext|> <|endoftext|>\n<|endoftext",
    "tab\there\x0bvt\x0cff\x1cfs\x7fdel\x00nul",
    "mixed\u2003em\u2009thin\u200aspace\u202fnarrow\u205fmath",
    "\U00020000\U0002A6D6\U00030000 \U000E0041\U000F0000\U0010FFFD",
]

DECODE_STRINGS = ["中文测试", "Ærø 😀🎉 ok", "\U0001F9D1\u200d\U0001F4BB", "é\u0301ß"]

HF_TRAINING_TEXT = [
    "The quick brown fox jumps over the lazy dog. It's 2024; the year's numbers: 12, 345, 6789.",
    "def encode(text):\n    return [ord(c) for c in text]  # 1 2 3\n",
    "Straße, Größe, Ærø — naïve café. 中文测试 😀 I'll we've they're.",
    "    indented code\n\tand tabs\r\nand CRLF lines   with   spaces",
] * 20

HF_STRINGS = [
    "The quick brown fox, it's 2024!",
    "a<mask> b <mask>  c",
    "x[R]  y [R]\n z",
    "word sword words word_ word, (word)",
    "<|endoftext|>The end<|endoftext|>\n",
    "  spaced   out  \n\n 123 4567 \u0661\u0662",
    "café 中文 😀 ok",
    "normal<norm>token",
    "",
]


def gpt2_encoding():
    ranks = tiktoken.load.load_tiktoken_bpe(os.path.join(ROOT, "Tests/Fixtures/tokenizers/gpt2.tiktoken"))
    pattern = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
    return tiktoken.Encoding(name="gpt2", pat_str=pattern, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(ranks)})


def hf_tokenizer(digits):
    tok = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level]) if digits else byte_level
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(HF_TRAINING_TEXT, trainer)
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    tok.add_tokens([AddedToken("<mask>", lstrip=True, normalized=False), AddedToken("[R]", rstrip=True, normalized=False),
                    AddedToken("word", single_word=True, normalized=False), AddedToken("<norm>", normalized=True)])
    return tok


def main():
    enc = gpt2_encoding()
    gpt2 = [{"text": s, "ids": enc.encode_ordinary(s), "ids_allowed_special_all": enc.encode(s, allowed_special="all")}
            for s in GPT2_STRINGS]
    for case in gpt2:
        assert enc.decode(case["ids"]) == case["text"]
    decode = []
    for s in DECODE_STRINGS:
        ids = enc.encode_ordinary(s)
        for cut in range(1, len(ids) + 1):
            decode.append({"ids": ids[:cut], "text": enc.decode(ids[:cut])})
        decode.append({"ids": ids[1:], "text": enc.decode(ids[1:])})
    hf = []
    for name, digits, legacy in [("arrays", False, False), ("strings", False, True), ("digits", True, False)]:
        tok = hf_tokenizer(digits)
        spec = json.loads(tok.to_str())
        if legacy:
            spec["model"]["merges"] = [" ".join(pair) for pair in spec["model"]["merges"]]
        tok = Tokenizer.from_str(json.dumps(spec))
        hf.append({"name": name, "tokenizer_json": json.dumps(spec, ensure_ascii=False),
                   "cases": [{"text": s, "ids": tok.encode(s).ids, "tokens": tok.encode(s).tokens,
                              "decode": tok.decode(tok.encode(s).ids, skip_special_tokens=False)} for s in HF_STRINGS]})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"versions": {"tiktoken": tiktoken.__version__, "tokenizers": tokenizers.__version__},
                   "gpt2": gpt2, "gpt2_decode": decode, "hf": hf}, f, ensure_ascii=False, indent=1)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
