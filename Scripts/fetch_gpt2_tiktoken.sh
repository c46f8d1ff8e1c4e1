#!/bin/sh
# Fetches GPT-2's BPE ranks, gpt2.tiktoken, from the openai-whisper source package on PyPI (MIT
# licence, © 2022 OpenAI) and checks its sha256. The file is committed as
# Tests/Fixtures/tokenizers/gpt2.tiktoken; this script re-creates it (or writes it to DEST).
#
# Usage: Scripts/fetch_gpt2_tiktoken.sh [DEST]
set -eu
EXPECTED=306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/Tests/Fixtures/tokenizers/gpt2.tiktoken}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: openai-whisper==20250625 -d "$WORK"
tar -xzf "$WORK"/openai_whisper-20250625.tar.gz -C "$WORK" openai_whisper-20250625/whisper/assets/gpt2.tiktoken
FILE=$WORK/openai_whisper-20250625/whisper/assets/gpt2.tiktoken
ACTUAL=$(sha256sum "$FILE" | cut -d' ' -f1)
if [ "$ACTUAL" != "$EXPECTED" ]; then
    echo "gpt2.tiktoken: expected sha256 $EXPECTED, found $ACTUAL" >&2
    exit 1
fi
mkdir -p "$(dirname "$DEST")"
cp "$FILE" "$DEST"
echo "wrote $DEST (sha256 $ACTUAL)"
