#!/usr/bin/env bash
# Renders every icon the bundle needs from the one source drawing, icons/icon.svg.
# Uses Tauri's own icon generator (from @tauri-apps/cli, installed in ui/) so the sizes and
# formats (.png, .ico, .icns) are exactly those Tauri expects.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The generator wants a large square raster; rsvg-convert renders the SVG faithfully with alpha.
rsvg-convert -w 1024 -h 1024 icons/icon.svg -o "$tmp/icon-1024.png"
(cd ui && npx --no-install tauri icon "$tmp/icon-1024.png" --output ../icons)
# Keep only what the desktop bundles use; mobile and Windows-store tiles are not shipped.
rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png
echo "icons written to icons/"
