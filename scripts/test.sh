#!/usr/bin/env bash
# Runs every test Patchbay has, after installing what is missing: formatting, lints, the Rust
# tests (with a real keychain), the front end's lint, type check and unit tests (headless
# Chromium), and the end-to-end tests of the real app under Xvfb (WebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

started=$SECONDS
# Each step's time is printed when the next one starts (and the last one's at the end).
step_name="" step_started=$SECONDS
step_done() {
  [ -n "$step_name" ] && printf '    (%s: %d s)\n' "$step_name" "$((SECONDS - step_started))"
  return 0
}
step() {
  step_done
  step_name="$*" step_started=$SECONDS
  printf '\n\033[1m==> %s\033[0m\n' "$*"
}

step "cargo fmt --check"
cargo fmt --all -- --check

# cargo deny reads the crates offline: the ones Cargo.lock names and this machine lacks come first
# (nothing to do where they are all here).
step "cargo fetch: the crates Cargo.lock names"
cargo fetch --locked

step "cargo deny: licences, bans, sources of Cargo.lock (advisories need the network: skipped)"
cargo deny --offline --locked check licenses bans sources

step "front end: lint, type check, unit tests, build"
(cd ui && npm run --silent lint && npm run --silent typecheck && npm test --silent && npm run --silent build)

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests: cargo nextest, one process and a timeout per test (real Secret Service in a private D-Bus session)"
bash scripts/adversarial-summary.sh --reset
bash scripts/with-keyring.sh cargo nextest run --workspace --locked
# nextest does not run documentation examples: cargo test does (none fails silently).
cargo test --workspace --doc --locked

step "build the app binary"
cargo build -p patchbay -p patchbay-sandbox --bins --locked

step "package that binary as .deb and .rpm (for the installed-package end-to-end test)"
bash scripts/package.sh --debug

step "end-to-end tests of the real app (Xvfb, tauri-driver, WebKitWebDriver)"
bash scripts/e2e.sh

step "adversarial suite: forged links, fuzzing, faults, tokens, keychain, leaks, Tauri surface"
bash scripts/adversarial-summary.sh

step_done
echo
echo "all tests passed in $((SECONDS - started)) s"
