#!/usr/bin/env bash
# Renders figures with headless Chromium so they can be checked by eye:
#
#   Scripts/render_figures.sh [OUTPUT_DIR]         the VizGallery example (one of every LensViz
#                                                  figure; default OUTPUT_DIR: viz-gallery)
#   Scripts/render_figures.sh --tutorials [N …]    runs Tutorial01 … Tutorial15 (or the numbers
#                                                  given; FAST=1 for their fast mode) into
#                                                  tutorial-output/NN; 11–15 (on the real SmolLM2)
#                                                  only when Scripts/fetch_smollm2.sh has run
#   Scripts/render_figures.sh --demo               runs `lens demo --load` on the committed
#                                                  trained model into runs/demo-render/report
#   Scripts/render_figures.sh --demo-model [GGUF]  runs `lens demo --model` on SmolLM2 (or GGUF;
#                                                  FAST=1 for --fast) into runs/demo-model-render/report
#
# Writes the figures and DIR/screenshots/*.png for every HTML page (index.html included).
# Needs chromium (or chromium-browser / google-chrome). When it is missing and the script runs as
# root on Debian/Ubuntu it installs it with apt-get; otherwise it says how to.
set -euo pipefail
cd "$(dirname "$0")/.."

size="${WINDOW_SIZE:-1200,900}"

find_browser() {
    for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! browser="$(find_browser)"; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "chromium not found: installing it with apt-get" >&2
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
        browser="$(find_browser)"
    else
        echo "error: no chromium found. Install it, e.g. 'sudo apt-get install -y chromium' (Debian)," >&2
        echo "       'sudo apt-get install -y chromium-browser' (Ubuntu) or 'brew install --cask chromium' (macOS)." >&2
        exit 1
    fi
fi

screenshot_all() {
    local dir
    dir="$(cd "$1" && pwd)"
    mkdir -p "$dir/screenshots"
    for page in "$dir"/*.html; do
        name="$(basename "$page" .html)"
        png="$dir/screenshots/$name.png"
        "$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars \
            --screenshot="$png" --window-size="$size" "file://$page" >/dev/null 2>&1 || {
            echo "error: $browser failed on $page" >&2
            exit 1
        }
        echo "screenshot: $png"
    done
}

case "${1:-}" in
--tutorials)
    shift
    numbers=("$@")
    if [ ${#numbers[@]} -eq 0 ]; then
        numbers=(01 02 03 04 05 06 07 08 09 10)
        # Tutorials 11–15 run on SmolLM2-135M-Instruct, which is fetched, never committed.
        smollm2="${SWIFTLENS_SMOLLM2_GGUF:-${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
        if [ -f "$smollm2" ]; then
            numbers+=(11 12 13 14 15)
        else
            echo "skipping Tutorials 11–15: $smollm2 not found (bash Scripts/fetch_smollm2.sh fetches it)" >&2
        fi
    fi
    swift build -c release
    bin="$(swift build -c release --show-bin-path)"
    for n in "${numbers[@]}"; do
        flags=(--out "tutorial-output/$n")
        [ "${FAST:-0}" = "1" ] && flags+=(--fast)
        "$bin/Tutorial$n" "${flags[@]}"
        screenshot_all "tutorial-output/$n"
    done
    ;;
--demo)
    swift build -c release --product lens
    "$(swift build -c release --show-bin-path)/lens" demo --load Tests/Fixtures/trained/recipeR-2L-s0 --out runs/demo-render
    screenshot_all runs/demo-render/report
    ;;
--demo-model)
    smollm2="${2:-${SWIFTLENS_SMOLLM2_GGUF:-${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/models/SmolLM2-135M-Instruct.Q4_1.gguf}}"
    swift build -c release --product lens
    "$(swift build -c release --show-bin-path)/lens" demo --model "$smollm2" ${FAST:+--fast} --out runs/demo-model-render
    screenshot_all runs/demo-model-render/report
    ;;
*)
    out="${1:-viz-gallery}"
    swift build --product VizGallery
    "$(swift build --show-bin-path)/VizGallery" "$out"
    screenshot_all "$out"
    ;;
esac
