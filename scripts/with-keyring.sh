#!/usr/bin/env bash
# Runs a command inside its own D-Bus session with a real, unlocked gnome-keyring (Secret
# Service) and a throwaway HOME, so tests use a real keychain and never touch the user's.
# Usage: scripts/with-keyring.sh CMD [ARGS...]
set -euo pipefail
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"
if [ -z "${PATCHBAY_KEYRING_INNER:-}" ]; then
  tmp_home=$(mktemp -d -t patchbay-home.XXXXXX)
  # WebKit's D-Bus helpers may mount the document portal (FUSE) inside the throwaway HOME.
  cleanup() {
    for m in "$tmp_home/.cache/doc"; do
      if mountpoint -q "$m" 2>/dev/null; then fusermount3 -u "$m" 2>/dev/null || fusermount -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; fi
    done
    rm -rf "$tmp_home" 2>/dev/null || true
  }
  trap cleanup EXIT
  export HOME="$tmp_home" XDG_DATA_HOME="$tmp_home/.local/share" XDG_CONFIG_HOME="$tmp_home/.config" \
    XDG_CACHE_HOME="$tmp_home/.cache" PATCHBAY_KEYRING_INNER=1
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
  # exit code of the command is kept; the trap cleans the throwaway HOME.
  dbus-run-session -- "$0" "$@"
  exit $?
fi
# Inside the session: start the keyring daemon with a known password, which creates and
# unlocks the default collection without any prompt.
eval "$(printf 'patchbay-test' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL
# The daemon must own the Secret Service name before anything runs (a test that finds no
# keychain fails rather than skipping, so say here what is missing). NameHasOwner, unlike a
# call to the service, never starts a second, locked daemon through D-Bus activation.
owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
for _ in $(seq 50); do owned && break; sleep 0.1; done
if ! owned; then
  echo "with-keyring.sh: gnome-keyring's Secret Service is not on the private D-Bus session" >&2
  exit 1
fi
# The daemon leaves when dbus-run-session closes the bus at the end of the command.
"$@"
