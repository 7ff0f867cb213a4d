#!/usr/bin/env bash
# Installs whatever Patchbay needs that this Debian/Ubuntu machine lacks: system packages,
# Rust tools and the front end's npm packages. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

# System packages: WebKitGTK and GTK for the window, Xvfb and WebKitWebDriver for headless
# tests, gnome-keyring for a real Secret Service, Chromium for the front end's unit tests.
apt_packages=(
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev librsvg2-bin
  libsoup-3.0-dev libssl-dev build-essential pkg-config curl file
  xvfb webkit2gtk-driver gnome-keyring dbus dbus-x11 xdg-utils desktop-file-utils libglib2.0-bin imagemagick chromium
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Rust: the toolchain comes from rustup; fmt and clippy are components of it.
if ! command -v cargo >/dev/null; then
  echo "Rust is missing: install it from https://rustup.rs and run this again." >&2
  exit 1
fi
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done

# cargo-nextest runs the Rust tests, each in its own process with a per-test timeout.
if ! cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  cargo install cargo-nextest --locked --quiet
fi

# cargo-deny checks the dependency graph (licences, bans, sources) against Cargo.lock.
if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0\.20\.2$'; then
  say "installing cargo-deny"
  cargo install --locked cargo-deny@0.20.2 --quiet
fi

# tauri-driver bridges WebDriver to WebKitWebDriver for the end-to-end tests.
if ! command -v tauri-driver >/dev/null; then
  say "installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi

# The front end's packages, exactly as locked.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "installing the front end's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
