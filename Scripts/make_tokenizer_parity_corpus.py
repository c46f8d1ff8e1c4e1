#!/usr/bin/env python3
"""Makes the large tokenizer parity corpora that CorpusParityTests checks when
LENS_TOKENIZER_PARITY_DIR names this script's output directory (about 400 MB: not committed).

  allcp0..3   every Unicode code point c (surrogates excepted) as "a{c}a1{c}1.{c}. {c}\n", a
              context in which a letter, a number, white space and anything else each split
              differently under GPT-2's pattern: this checks the scalar classes against the
              references' regex engines
  fuzz        20,000 random strings (0-40 items) over a hostile alphabet: odd white space, contractions
              in both cases, digits of several scripts, combining marks, emoji with joiners, added
              token look-alikes; with tiktoken's ids both ordinary and with allowed_special="all"
  real0..5    ~8 MB each of text files from site-packages and the standard library

Each .txt gets <name>.gpt2.ids (tiktoken 0.14, gpt2.tiktoken, encode_ordinary) and <name>.smol.ids
(Hugging Face tokenizers with Tests/Fixtures/tokenizers/local/smollm2-tokenizer.json, which
Scripts/fetch_smollm2_vocab.sh writes), int32 little-endian.

Usage: python3 Scripts/make_tokenizer_parity_corpus.py OUT_DIR
Then:  LENS_TOKENIZER_PARITY_DIR=OUT_DIR swift test --skip-build --filter CorpusParityTests
"""
import sys
import glob
import json
import os
import random
import sysconfig
from array import array
import tiktoken
import tiktoken.load
import tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ranks = tiktoken.load.load_tiktoken_bpe(f'{ROOT}/Tests/Fixtures/tokenizers/gpt2.tiktoken')
pat = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
enc = tiktoken.Encoding(name="gpt2", pat_str=pat, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": 50256})
hf = tokenizers.Tokenizer.from_file(f'{ROOT}/Tests/Fixtures/tokenizers/local/smollm2-tokenizer.json')
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def emit(name, text):
    open(f'{out}/{name}.txt', 'wb').write(text.encode('utf-8'))
    array('i', enc.encode_ordinary(text)).tofile(open(f'{out}/{name}.gpt2.ids', 'wb'))
    array('i', hf.encode(text).ids).tofile(open(f'{out}/{name}.smol.ids', 'wb'))
# 1. every code point in class-revealing context
parts = []
for c in range(0x110000):
    if 0xD800 <= c <= 0xDFFF: continue
    ch = chr(c)
    parts.append(f"a{ch}a1{ch}1.{ch}. {ch}\n")
text = ''.join(parts)
for k in range(0, 4):
    n = len(parts) // 4
    emit(f'allcp{k}', ''.join(parts[k*n:(k+1)*n] if k < 3 else parts[3*n:]))
# 2. random strings from a hostile alphabet
random.seed(1)
alpha = list(" \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2028\u3000\u200b\u200d\ufeff'sStTreREvellLdDmM") + list("abcXYZ019٣४¹½Ⅻ") + list("éÆøßΩжשעربي中文日本語한국") + list("\u0301\u0308\u20dd.,!?-_()[]{}<>|/\\\"'`~@#$%^&*+=;:") + ['😀','🎉','👍🏽','🇫🇷','\U0001F9D1\u200d\U0001F4BB','\U000E0041','\U0010FFFD','\U00020000'] + ['<|endoftext|>', '<|im_start|>', "'s", "'ll", ' ', '  ', '\r\n', '\n\n']
cases = []
for i in range(20000):
    n = random.randint(0, 40)
    cases.append(''.join(random.choice(alpha) for _ in range(n)))
json.dump(cases, open(f'{out}/fuzz.json', 'w'))
json.dump({'gpt2': [enc.encode_ordinary(s) for s in cases], 'smol': [e.ids for e in hf.encode_batch(cases)],
           'gpt2_special': [enc.encode(s, allowed_special='all') for s in cases]}, open(f'{out}/fuzz.ids.json', 'w'))
# 3. a big real corpus: text files of site-packages
sp = sysconfig.get_paths()['purelib']; std = sysconfig.get_paths()['stdlib']
files = sorted(glob.glob(sp + '/**/*', recursive=True)) + sorted(glob.glob(std + '/**/*.py', recursive=True))
blob, k, total = [], 0, 0
for f in files:
    if not os.path.isfile(f) or os.path.getsize(f) > 2_000_000: continue
    if not f.endswith(('.py', '.md', '.txt', '.rst', '.json', '.pyi', '.cfg', '.toml', '.html', '.c', '.h', '.js', '.css', '.csv', '.yaml', '.yml', '.ini', '.xml', 'LICENSE', 'METADATA')): continue
    try: t = open(f, encoding='utf-8').read()
    except Exception: continue
    blob.append(t); total += len(t)
    if total > 8_000_000:
        emit(f'real{k}', ''.join(blob)); k += 1; blob, total = [], 0
        if k >= 6: break
if blob: emit(f'real{k}', ''.join(blob))
print('done')
