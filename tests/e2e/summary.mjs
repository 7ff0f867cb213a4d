// The end-to-end families' summary lines, counted from what each case did, with the same
// rules as the Rust families (crates/patchbay-core/tests/core/adversarial_support): a case is
// handled, lost, or undelivered (it never reached the app, e.g. the OS refused the link). An
// undelivered case is lost unless tests/adversarial-allowlist.toml lists it with a reason; an
// allow-list entry of the family that no undelivered case matches is lost too (stale).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const SUMMARY = resolve(ROOT, "target/adversarial");
const ALLOW_LIST = resolve(ROOT, "tests/adversarial-allowlist.toml");

/** Each family's minimum number of cases: a family that tries fewer (a case list that lost
 * entries, a loop that ended early) fails, however clean the rest. One table, like the Rust
 * families' (crates/patchbay-core/tests/core/adversarial_support). */
export const MINIMUM = {
  "forged-links-e2e": 15,
  "loopback-strays": 12,
  "deep-link-leak": 17,
  // Seven fixed cases and one a file in the throwaway HOME: 27 on a machine without a GPU, where
  // WebKit paints with the CPU and without its compositor (src-tauri/rendering.rs), so Mesa
  // writes only its shader cache's index: the app's settings, two caches of three files each,
  // the request budget, the log, WebKit's own files and the test's browser set-up (43 with the
  // compositor, 70 and more with Mesa's shaders).
  leaks: 25,
  "world-crossing": 4,
  // Two clients (post, basic) of 10 cases each, the basic one's restart and refresh (3), and
  // a refused revocation (3).
  "interop-e2e": 26,
  // Three "exists" checks, at least three folders (the app's, the cache's, the logs') and
  // the cache file and a log file.
  "private-files": 8,
};

/** The allow-list's entries: `[[allow]]` tables of basic strings (the Rust loader checks the
 * file strictly; this reads the same three keys). */
export function allowList(text = readFileSync(ALLOW_LIST, "utf8")) {
  const entries = [];
  let current = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line === "[[allow]]") {
      current = {};
      entries.push(current);
      continue;
    }
    const m = /^(family|case|reason)\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(line);
    if (!m || !current) throw new Error(`tests/adversarial-allowlist.toml: cannot read ${JSON.stringify(line)}`);
    current[m[1]] = JSON.parse(`"${m[2]}"`);
  }
  return entries;
}

/**
 * Writes `target/adversarial/<family>.txt` and answers { line, details }: details lists every
 * lost case (the caller asserts it is empty). `cases`: { name, lost?, undelivered?, note? }.
 */
export function summary(family, verb, cases, extra, { allowed = allowList(), dir = SUMMARY, minimum = MINIMUM[family] } = {}) {
  if (minimum === undefined) throw new Error(`family ${family} has no minimum case count in tests/e2e/summary.mjs`);
  const mine = allowed.filter((a) => a.family === family);
  const excused = [];
  const lost = [];
  for (const c of cases) {
    if (c.lost) lost.push(`  lost: ${c.name}: ${c.lost}`);
    else if (c.undelivered) {
      const entry = mine.find((a) => a.case === c.name);
      if (entry) excused.push(`  allowed: ${c.name}: ${c.undelivered} (${entry.reason})`);
      else lost.push(`  lost (undelivered, not in tests/adversarial-allowlist.toml): ${c.name}: ${c.undelivered}`);
    }
  }
  for (const a of mine) {
    if (!cases.some((c) => c.name === a.case && c.undelivered && !c.lost)) {
      lost.push(`  lost (stale allow-list entry: no undelivered case matches): ${a.case}`);
    }
  }
  if (cases.length < minimum) lost.push(`  lost (below the family's minimum): tried ${cases.length} of at least ${minimum} cases`);
  const handled = cases.filter((c) => !c.lost && !c.undelivered).length;
  // The Rust families' format: scripts/adversarial-summary.sh reads `, lost 0 ` / end of line.
  const allowedPart = excused.length ? `allowed ${excused.length} (see tests/adversarial-allowlist.toml), ` : "";
  const line = `adversarial ${family}: tried ${cases.length}, ${verb} ${handled}, lost ${lost.length} | ${allowedPart}minimum ${minimum}${extra ? ` (${extra})` : ""}`;
  const notes = cases.filter((c) => c.note).map((c) => `  note: ${c.name}: ${c.note}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${family}.txt`), [line, ...excused, ...notes, ...lost, ""].join("\n"));
  console.error(line);
  return { line, details: lost };
}
