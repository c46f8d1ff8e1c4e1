#!/usr/bin/env bash
# Builds and runs the VizGallery example (one of every LensViz figure), then screenshots each
# HTML page with headless Chromium so the figures can be checked by eye.
#
#   Scripts/render_figures.sh [OUTPUT_DIR]      (default: viz-gallery)
#
# Writes OUTPUT_DIR/*.svg, *.html, index.html and OUTPUT_DIR/screenshots/*.png.
# Needs chromium (or chromium-browser / google-chrome). When it is missing and the script runs as
# root on Debian/Ubuntu it installs it with apt-get; otherwise it says how to.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-viz-gallery}"
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

swift build --product VizGallery
"$(swift build --show-bin-path)/VizGallery" "$out"

mkdir -p "$out/screenshots"
abs_out="$(cd "$out" && pwd)"
for page in "$abs_out"/*.html; do
    name="$(basename "$page" .html)"
    png="$abs_out/screenshots/$name.png"
    "$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars \
        --screenshot="$png" --window-size="$size" "file://$page" >/dev/null 2>&1 || {
        echo "error: $browser failed on $page" >&2
        exit 1
    }
    echo "screenshot: $png"
done
