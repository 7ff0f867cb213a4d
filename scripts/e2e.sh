#!/usr/bin/env bash
# Runs the end-to-end tests against the real app binary: Xvfb outside, then a private D-Bus
# session with an unlocked gnome-keyring (scripts/with-keyring.sh), then node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATCHBAY_APP="${PATCHBAY_APP:-$PWD/target/debug/patchbay}"
exec xvfb-run -a -s "-screen 0 1280x800x24" \
  bash scripts/with-keyring.sh node --test --test-concurrency=1 --test-timeout=240000 tests/e2e/ "$@"
