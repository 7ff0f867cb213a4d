#!/usr/bin/env bash
# Builds Patchbay's Linux packages (.deb and .rpm) with the Tauri CLI from ui/'s npm packages.
#
#   bash scripts/package.sh           release build of the front end and the app, then both
#                                     packages in target/release/bundle/{deb,rpm}/
#   bash scripts/package.sh --debug   packages the debug binary `cargo build` already made
#                                     (target/debug/patchbay, as the test command builds it) into
#                                     target/debug/bundle/{deb,rpm}/ in seconds, for the
#                                     end-to-end test of the installed package
#
# AppImage is not built: its tools (linuxdeploy and friends) are downloaded from GitHub at
# bundle time, which machines without that access cannot do. The release workflow
# (.github/workflows/release.yml) has the network and may add it.
# CARGO_TARGET_DIR is honoured (the Tauri CLI asks cargo where the target dir is).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
case "${1:-}" in
  "") ;;
  --debug) mode=debug ;;
  *)
    echo "usage: scripts/package.sh [--debug]" >&2
    exit 2
    ;;
esac

# The Tauri CLI is a devDependency of ui/ (a prebuilt binary, so it installs offline).
if [ ! -x ui/node_modules/.bin/tauri ]; then
  bash scripts/setup.sh
fi
# The CLI looks for the front end by finding a package.json, and bench/node has one too: name
# both folders (before*Command in tauri.conf.json runs in the front end's folder, ui/).
export TAURI_APP_PATH="$PWD" TAURI_FRONTEND_PATH="$PWD/ui"
tauri() { ui/node_modules/.bin/tauri "$@"; }
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"

if [ "$mode" = debug ]; then
  binary="$target_dir/debug/patchbay"
  if [ ! -x "$binary" ]; then
    echo "no debug binary at $binary: run 'cargo build -p patchbay --bins' first" >&2
    exit 1
  fi
  # Bundle only: no rebuild, and the binary the other end-to-end tests run is left as cargo
  # wrote it (no in-place patching of its bundle type).
  tauri bundle --debug --bundles deb,rpm --no-binary-patching --ci
else
  # `tauri build` runs beforeBuildCommand (the front end's build) and a release cargo build.
  tauri build --bundles deb,rpm --ci
fi

echo
echo "Packages:"
ls -1 "$target_dir/$mode/bundle/deb/"*.deb "$target_dir/$mode/bundle/rpm/"*.rpm
