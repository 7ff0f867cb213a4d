#!/usr/bin/env bash
# Renders every icon the bundle needs from the one source drawing, icons/icon.svg.
# Uses Tauri's own icon generator (@tauri-apps/cli, fetched by npm exec: it is not a project
# dependency, since the registry here serves only its Linux x64 build and npm ci would then
# refuse the lock file) so the sizes and formats (.png, .ico, .icns) are those Tauri expects.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The generator wants a large square raster; rsvg-convert renders the SVG faithfully with alpha.
rsvg-convert -w 1024 -h 1024 icons/icon.svg -o "$tmp/icon-1024.png"
npm exec --yes --package=@tauri-apps/cli@2.12.5 -- tauri icon "$tmp/icon-1024.png" --output icons
# Keep only what the desktop bundles use; mobile and Windows-store tiles are not shipped.
rm -rf icons/android icons/ios icons/Square*Logo.png icons/StoreLogo.png
echo "icons written to icons/"
