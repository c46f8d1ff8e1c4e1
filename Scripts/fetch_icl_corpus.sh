#!/usr/bin/env bash
# Fetches a corpus of real human-written English for the in-context-learning measurements
# (InContextLearning, RealModelInContextLearningTests), and prints the directory it wrote.
#
# Source: the documentation that ships inside the source distribution of Django 5.2.8 on PyPI
# (django-5.2.8.tar.gz, sha256 below): the prose guides under docs/ — topics/, intro/, howto/,
# faq/, internals/ — written by people for people (not generated). Licence: Django's 3-clause BSD
# licence (the LICENSE file at the root of the same archive covers the documentation), which
# permits redistribution with the copyright notice; the notice is copied next to the corpus.
#
# Extraction: each reST file becomes one plain-text document. Code blocks (`::` literal blocks
# and indented directive bodies), directive lines, comments, substitutions, tables and heading
# underlines are dropped; inline roles (:class:`~django.db.Model` → Model) and markup (``x`` →
# x, *x* → x) are reduced to their text; paragraphs are joined into lines separated by a blank
# line. Documents with fewer than 3,000 characters of prose left (≈ 600 SmolLM2 tokens) are
# dropped. Result: 103 documents, 1.26 M characters, 283,855 SmolLM2 tokens (the
# shortest 694).
#
#   cache: ${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/corpus/django-5.2.8-docs/
#          (NNN-<path>.txt, one document per file, in sorted path order; LICENSE; SOURCE)
#   use:   export SWIFTLENS_ICL_CORPUS="$(bash Scripts/fetch_icl_corpus.sh)"
#
# Idempotent: a directory whose SOURCE stamp matches is reused without touching the network.
# Only the path goes to stdout; progress goes to stderr. Needs python3 with pip.
set -euo pipefail

PACKAGE="django==5.2.8"
SDIST="django-5.2.8.tar.gz"
SDIST_SHA256="23254866a5bb9a2cfa6004e8b809ec6246eba4b58a7589bc2772f1bcc8456c7f"
# Bump when the extraction changes, so cached corpora are rebuilt.
EXTRACTION=3
STAMP="$PACKAGE $SDIST_SHA256 extraction $EXTRACTION"

CACHE="${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/corpus"
TARGET="$CACHE/django-5.2.8-docs"

log() { echo "fetch_icl_corpus: $*" >&2; }

# sha256_of FILE, with whichever tool this machine has.
source "$(dirname "${BASH_SOURCE[0]}")/lib/sha256.sh"

if [ -f "$TARGET/SOURCE" ] && [ "$(head -n 1 "$TARGET/SOURCE")" = "$STAMP" ]; then
    log "cached: $TARGET"
    echo "$TARGET"
    exit 0
fi

mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/.fetch-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --no-build-isolation: an sdist download runs no build backend we would have to install.
log "pip download --no-deps $PACKAGE (sdist)"
python3 -m pip download --no-deps --no-binary=:all: --no-build-isolation --disable-pip-version-check -q \
    "$PACKAGE" -d "$WORK" >&2
if [ ! -f "$WORK/$SDIST" ]; then
    log "pip download produced no $SDIST in $WORK"
    exit 1
fi
FOUND="$(sha256_of "$WORK/$SDIST")"
if [ "$FOUND" != "$SDIST_SHA256" ]; then
    log "$SDIST has sha256 $FOUND; expected $SDIST_SHA256"
    exit 1
fi

log "extracting the prose documents"
python3 - "$WORK/$SDIST" "$WORK/out" "$STAMP" <<'PY'
import os, re, sys, tarfile

sdist, out, stamp = sys.argv[1:]
root = "django-5.2.8/"
sections = ("topics/", "intro/", "howto/", "faq/", "internals/")
MIN_CHARS = 3000

def indent(line):
    return len(line) - len(line.lstrip(" "))

def prose(text):
    lines = text.replace("\t", "    ").split("\n")
    kept, i = [], 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        # Directives (.. code-block::, .. note::, .. _label:, comments) and their indented bodies
        # are dropped, except admonitions whose body is prose.
        m = re.match(r"\s*\.\.\s+(\S+?)::", line) if stripped.startswith("..") else None
        if stripped.startswith(".."):
            keep_body = m is not None and m.group(1) in ("note", "warning", "admonition", "tip", "seealso", "versionadded", "versionchanged", "attention", "important", "hint", "caution")
            base = indent(line)
            i += 1
            body = []
            while i < len(lines) and (lines[i].strip() == "" or indent(lines[i]) > base):
                body.append(lines[i])
                i += 1
            if keep_body:
                kept.extend(l for l in body if not re.match(r"\s*:\w[\w-]*:(\s|$)", l))
            kept.append("")
            continue
        # A paragraph ending in "::" introduces a literal block: keep the text, drop the block.
        if stripped.endswith("::"):
            text_part = line.rstrip()[:-2].rstrip()
            if text_part.strip():
                kept.append(text_part + (":" if not text_part.endswith(":") else ""))
            base = indent(line)
            i += 1
            while i < len(lines) and (lines[i].strip() == "" or indent(lines[i]) > base):
                i += 1
            kept.append("")
            continue
        # Heading underlines/overlines and table borders.
        if stripped and re.fullmatch(r"([=\-~^\"'`#*+<>_:.])\1{2,}", stripped) or re.match(r"\s*[+|][-=+| ]*$", line) and stripped:
            i += 1
            continue
        if re.match(r"\s*\|", line) or re.match(r"\s*={3,}\s+={3,}", line):  # table rows
            i += 1
            continue
        kept.append(line)
        i += 1
    paragraphs = []
    for block in re.split(r"\n\s*\n", "\n".join(kept)):
        # Lines joined first, so that inline markup broken across lines is still recognised.
        text = " ".join(l.strip() for l in block.split("\n") if l.strip())
        text = re.sub(r":[\w:+-]+:`(~?)([^`<]*?)\s*(?:<([^>]*)>)?`", lambda m: (m.group(2) or m.group(3) or "").strip().split(".")[-1] if m.group(1) else (m.group(2) or m.group(3) or "").strip(), text)
        text = re.sub(r"``([^`]+)``", r"\1", text)
        text = re.sub(r"`([^`<]+?)\s*<[^>]+>`__?", r"\1", text)
        text = re.sub(r"`([^`]+)`_{0,2}", r"\1", text)
        text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
        text = re.sub(r"(?<!\w)\*([^*\s][^*]*?)\*(?!\w)", r"\1", text)
        text = re.sub(r"\|([\w-]+)\|", r"\1", text)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs) + "\n"

os.makedirs(out)
documents = total = 0
with tarfile.open(sdist) as tar:
    license_text = tar.extractfile(root + "LICENSE").read().decode("utf-8")
    names = sorted(n for n in tar.getnames() if n.startswith(root + "docs/") and n.endswith(".txt")
                   and n[len(root) + 5:].startswith(sections))
    for name in names:
        doc = prose(tar.extractfile(name).read().decode("utf-8"))
        if len(doc) < MIN_CHARS:
            continue
        rel = name[len(root) + 5:-4].replace("/", "-")
        with open(os.path.join(out, f"{documents:03d}-{rel}.txt"), "w", encoding="utf-8") as f:
            f.write(doc)
        documents += 1
        total += len(doc)
with open(os.path.join(out, "LICENSE"), "w", encoding="utf-8") as f:
    f.write(license_text)
with open(os.path.join(out, "SOURCE"), "w", encoding="utf-8") as f:
    f.write(stamp + "\n")
    f.write(f"The prose documentation of Django 5.2.8 (docs/{{{','.join(s[:-1] for s in sections)}}}/**/*.txt in the PyPI sdist),\n"
            f"reduced to plain text by Scripts/fetch_icl_corpus.sh: {documents} documents of at least {MIN_CHARS} characters, {total} characters.\n"
            "Licence: BSD 3-clause, Copyright (c) Django Software Foundation and individual contributors (see LICENSE).\n")
print(f"fetch_icl_corpus: {documents} documents, {total} characters", file=sys.stderr)
PY
rm -rf "$TARGET"
mv "$WORK/out" "$TARGET"
log "wrote $TARGET"
echo "$TARGET"
