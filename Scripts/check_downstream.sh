#!/usr/bin/env bash
# Proves that another package can depend on SwiftLens BY VERSION, as the README says.
#
# Clones this repository's committed HEAD into a temporary directory, tags the clone
# (default 0.1.0; VERSION=x.y.z to change), creates a fresh package that depends on it with
# `.package(url: "file://…", from: VERSION)` and `.product(name: "SwiftLens", package: "SwiftLens")`,
# whose main.swift imports SwiftLens, builds a small model, saves and reloads it and prints its
# loss. Builds and runs it; exits non-zero, loudly, on any failure.
#
# Uncommitted changes are not included (the clone is of HEAD). KEEP=1 keeps the temporary
# directory. Usage: Scripts/check_downstream.sh
set -euo pipefail

VERSION="${VERSION:-0.1.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/swiftlens-downstream.XXXXXX")"

fail() {
    echo "check_downstream: FAILED: $*" >&2
    echo "check_downstream: (work directory: $WORK)" >&2
    exit 1
}
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'fail "command failed at line $LINENO: $BASH_COMMAND"' ERR

command -v swift >/dev/null || fail "no swift on PATH"

echo "check_downstream: cloning $ROOT (HEAD $(git -C "$ROOT" rev-parse --short HEAD)) and tagging it $VERSION"
git clone --quiet --no-local "$ROOT" "$WORK/SwiftLens"
git -C "$WORK/SwiftLens" tag -f "$VERSION" >/dev/null

mkdir -p "$WORK/Downstream/Sources/Downstream"
cat > "$WORK/Downstream/Package.swift" <<SWIFT
// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Downstream",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "file://$WORK/SwiftLens", from: "$VERSION"),
    ],
    targets: [
        .executableTarget(name: "Downstream", dependencies: [
            .product(name: "SwiftLens", package: "SwiftLens"),
        ]),
    ]
)
SWIFT

cat > "$WORK/Downstream/Sources/Downstream/main.swift" <<'SWIFT'
import Foundation
import SwiftLens

// Tokenizer (LensTokenizers), model (SwiftLens), safetensors round trip (LensFormats): all
// through the one `import SwiftLens`.
let text = String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 8)
let tokenizer = CharacterTokenizer(corpus: text)
let config = HookedTransformerConfig(nLayers: 2, dModel: 32, nCtx: 32, dHead: 8, nHeads: 4,
                                     dVocab: tokenizer.vocabularySize, actFn: .gelu, modelName: "downstream")
let model = try HookedTransformer(config: config, seed: 0)
let ids = Array(tokenizer.encode(text).prefix(32))
let tokens = IntTensor([ids])
let loss = try model.loss(tokens).scalar

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-downstream-\(UUID().uuidString)")
try model.save(to: directory)
let reloaded = try HookedTransformer.load(directory: directory)
try? FileManager.default.removeItem(at: directory)
let reloadedLoss = try reloaded.loss(tokens).scalar

guard loss.isFinite, reloadedLoss == loss else {
    print("downstream: loss \(loss), after save and load \(reloadedLoss); expected equal finite values")
    exit(1)
}
print("downstream: loss \(loss) on \(ids.count) tokens of a \(model.parameterCount)-parameter model (same after save and load)")
SWIFT

cd "$WORK/Downstream"
echo "check_downstream: resolving and building a package that depends on SwiftLens from: \"$VERSION\""
swift package resolve || fail "could not resolve SwiftLens $VERSION from file://$WORK/SwiftLens"
resolved="$(swift package show-dependencies 2>/dev/null | grep -i swiftlens || true)"
echo "check_downstream: resolved ${resolved:-?}"
case "$resolved" in *"$VERSION"*) ;; *) fail "SwiftLens was not resolved at version $VERSION: ${resolved:-nothing}";; esac
swift build || fail "the downstream package does not build"
output="$(swift run --skip-build Downstream)" || fail "the downstream program failed: $output"
echo "$output"
case "$output" in *"downstream: loss"*) ;; *) fail "unexpected output: $output";; esac
echo "check_downstream: OK"
