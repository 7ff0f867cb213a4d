#!/usr/bin/env bash
# Runs Patchbay in demo mode, on the built-in sandbox, after installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<'MSG'
No display found, so Patchbay's window has nowhere to appear.
To run it under a virtual display (Xvfb), with a private session bus and keychain
(gnome-keyring) in a throwaway home folder:

  xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/with-keyring.sh bash scripts/run.sh

MSG
  exit 1
fi
(cd ui && npm run build --silent)
exec cargo run -p patchbay
