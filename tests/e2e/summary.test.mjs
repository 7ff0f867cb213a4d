// The end-to-end families' summary itself: what it must never let pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { allowList, summary } from "./summary.mjs";

const listed = allowList(`
# a comment
[[allow]]
family = "fam"
case = "huge link"
reason = "the OS refuses it before any program runs"
`);

// Written to a scratch folder: these lines are about the summary, not about the app.
const dir = mkdtempSync(join(tmpdir(), "pb-summary-"));
const run = (cases, allowed = listed, minimum = 1) =>
  summary("summary-selftest", "rejected", cases, undefined, { allowed, dir, minimum });

test("the allow-list file of the repository reads", () => {
  for (const e of allowList()) assert.ok(e.family && e.case && e.reason, JSON.stringify(e));
});

test("an undelivered case not on the allow-list is lost", () => {
  const { line, details } = run([{ name: "ok" }, { name: "huge link", undelivered: "E2BIG" }], []);
  assert.match(line, /tried 2, rejected 1, lost 1/);
  assert.equal(details.length, 1);
});

test("an allow-listed undelivered case is shown apart and passes", () => {
  const allowed = listed.map((e) => ({ ...e, family: "summary-selftest" }));
  const { line, details } = run([{ name: "ok" }, { name: "huge link", undelivered: "E2BIG" }], allowed);
  assert.match(line, /tried 2, rejected 1, lost 0 \| allowed 1 .*, minimum 1/);
  assert.deepEqual(details, []);
});

test("a stale allow-list entry is lost", () => {
  const allowed = listed.map((e) => ({ ...e, family: "summary-selftest" }));
  const { line } = run([{ name: "ok" }, { name: "huge link" }], allowed);
  assert.match(line, /lost 1/);
});

test("the allow-list never excuses a lost case", () => {
  const allowed = listed.map((e) => ({ ...e, family: "summary-selftest" }));
  const { line } = run([{ name: "huge link", lost: "a token request" }], allowed);
  assert.match(line, /lost 2/); // the case itself, and the entry that matched no undelivered case
});

test("a malformed allow-list is refused", () => {
  assert.throws(() => allowList("[[allow]]\nfamily = fam\n"), /cannot read/);
});

test("a family below its minimum case count is lost", () => {
  const { line, details } = run([{ name: "ok" }], [], 3);
  assert.match(line, /tried 1, rejected 1, lost 1/);
  assert.match(details.join("\n"), /below the family's minimum/);
});

test("every family the end-to-end files write has a minimum", () => {
  assert.throws(() => summary("no-such-family", "rejected", [{ name: "ok" }], undefined, { allowed: [], dir }), /no minimum/);
});

test("a clean line passes the summary script's check and a lost one does not", () => {
  // The check as the script itself writes it (one source: scripts/adversarial-summary.sh).
  const script = readFileSync(resolve(import.meta.dirname, "../../scripts/adversarial-summary.sh"), "utf8");
  const pattern = /grep -qE '([^']+)'/.exec(script)?.[1];
  assert.ok(pattern, "the summary script's lost-0 check");
  const check = (line) => new RegExp(pattern).test(line.split("\n")[0]);
  assert.ok(check(run([{ name: "ok" }], []).line));
  assert.ok(!check(run([{ name: "bad", lost: "x" }], []).line));
});
