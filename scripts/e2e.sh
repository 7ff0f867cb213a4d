#!/usr/bin/env bash
# Runs the end-to-end tests against the real app binary. Each test file gets its own world:
# Xvfb outside, then a private D-Bus session with an unlocked gnome-keyring and a throwaway
# HOME (scripts/with-keyring.sh), so no file sees another's app instance, keychain or files.
# Usage: scripts/e2e.sh [test files...]   (default: every tests/e2e/*.test.mjs)
set -uo pipefail
cd "$(dirname "$0")/.."
# The binaries `cargo build` made (CARGO_TARGET_DIR when set, as the test command builds).
export PATCHBAY_APP="${PATCHBAY_APP:-${CARGO_TARGET_DIR:-$PWD/target}/debug/patchbay}"
export PATCHBAY_SANDBOX_BIN="${PATCHBAY_SANDBOX_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/patchbay-sandbox}"
# The tests' own npm packages (oidc-provider for the interop test), exactly as locked.
if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) || { echo "e2e: npm ci in tests/e2e failed" >&2; exit 1; }
fi
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/e2e/*.test.mjs)
failed=()
for f in "${files[@]}"; do
  printf '\n--- %s\n' "$f"
  if ! xvfb-run -a -s "-screen 0 1280x800x24" \
      bash scripts/with-keyring.sh node --test --test-timeout=240000 "$f"; then
    failed+=("$f")
  fi
done
echo
echo "e2e: $(( ${#files[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
