#!/usr/bin/env bash
# Prints the adversarial suite's summary: one line per family (tried, rejected or survived,
# lost), as the Rust tests (crates/patchbay-core/tests/core/adversarial_*.rs,
# src-tauri/security_tests.rs) and the e2e tests (tests/e2e/adversarial.test.mjs and
# interop.test.mjs) wrote them to target/adversarial/<family>.txt. `--reset` clears them (run
# it before the tests). Exits non-zero when a family is missing or lost anything.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/adversarial
if [ "${1:-}" = "--reset" ]; then
  rm -rf "$dir"
  exit 0
fi
families=(forged-links forged-links-e2e fuzz faults tokens keychain leaks tauri-csp tauri-capabilities deep-link-leak loopback-strays world-crossing worlds interop interop-e2e embedded-sandbox private-files)
status=0
printf '\n\033[1m==> adversarial suite\033[0m\n'
for f in "${families[@]}"; do
  file="$dir/$f.txt"
  if [ ! -s "$file" ]; then
    echo "adversarial $f: NOT RUN (no $file)"
    status=1
    continue
  fi
  cat "$file"
  if ! head -n1 "$file" | grep -qE ', lost 0( |$)'; then status=1; fi
done
for file in "$dir"/*.txt; do
  [ -e "$file" ] || continue
  name=$(basename "$file" .txt)
  case " ${families[*]} " in *" $name "*) ;; *) cat "$file" ;; esac
done
exit $status
