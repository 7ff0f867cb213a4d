// Deep links through the installed package, the way a desktop delivers them. The .deb that
// `scripts/package.sh --debug` made is extracted into a throwaway prefix (no root, no system
// change), its desktop entry is registered in the throwaway XDG data home scripts/e2e.sh gives
// this file, and links go through `gio open`, which runs the entry's `Exec=patchbay %u` from
// PATH: a cold start receives its link, the running instance receives the next, and a whole
// connect flow completes through the packaged binary. The package's entry stays the handler
// throughout (the packaged app does not re-register itself).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const TARGET = process.env.CARGO_TARGET_DIR ?? resolve(ROOT, "target");
const BUILT = process.env.PATCHBAY_APP ?? join(TARGET, "debug/patchbay");
const ENTRY = "Patchbay.desktop"; // src-tauri/link_handler.rs PACKAGE_DESKTOP_ENTRY
const SCHEME_MIME = "x-scheme-handler/dev.patchbay";

/** The .deb to test: PATCHBAY_DEB, else the newest one `scripts/package.sh --debug` made. */
function findDeb() {
  if (process.env.PATCHBAY_DEB) return process.env.PATCHBAY_DEB;
  const dir = join(TARGET, "debug/bundle/deb");
  const debs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".deb")).map((f) => join(dir, f)) : [];
  if (debs.length === 0) throw new Error(`no .deb in ${dir}: run 'bash scripts/package.sh --debug' after the app build`);
  return debs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

// Install into the throwaway prefix before app.mjs reads PATCHBAY_APP: every launch below runs
// the packaged binary, and PATH finds it first (as /usr/bin would).
const DEB = findDeb();
const prefix = mkdtempSync(join(tmpdir(), "patchbay-prefix-"));
execFileSync("dpkg-deb", ["-x", DEB, prefix]);
const PACKAGED = join(prefix, "usr/bin/patchbay");
process.env.PATCHBAY_APP = PACKAGED;
process.env.PATH = `${join(prefix, "usr/bin")}:${process.env.PATH}`;
const { SHOTS, appGone, launch, makeTestBrowserTheDefault } = await import("./app.mjs");
const { connectThroughBrowser, testBrowser, waitForRecords } = await import("./flows.mjs");
const { startSandbox } = await import("./sandbox.mjs");
const { waitFor } = await import("./webdriver.mjs");

/** The ids of the processes whose executable is `binary`. */
function processesRunning(binary) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) === binary) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

const dataHome = process.env.XDG_DATA_HOME;
const apps = join(dataHome ?? "/nonexistent", "applications");
const defaultHandler = () => execFileSync("xdg-mime", ["query", "default", SCHEME_MIME], { encoding: "utf8" }).trim();

before(() => {
  if (!dataHome?.startsWith(tmpdir())) {
    throw new Error("run through scripts/e2e.sh or scripts/with-keyring.sh (throwaway XDG data home)");
  }
  // A package built from an older binary would test old code.
  assert.ok(
    readFileSync(PACKAGED).equals(readFileSync(BUILT)),
    `${DEB} does not hold the binary at ${BUILT}: run 'bash scripts/package.sh --debug' again`,
  );
  // What a package manager plus the desktop's triggers do for /usr/share/applications.
  mkdirSync(apps, { recursive: true });
  copyFileSync(join(prefix, "usr/share/applications", ENTRY), join(apps, ENTRY));
  execFileSync("update-desktop-database", [apps]);
  execFileSync("xdg-mime", ["default", ENTRY, SCHEME_MIME]);
  assert.equal(defaultHandler(), ENTRY);
});

test("the package holds the binary, its desktop entry with the scheme, the icons and the licence", () => {
  const files = execFileSync("dpkg-deb", ["-c", DEB], { encoding: "utf8" });
  for (const path of [
    "usr/bin/patchbay",
    `usr/share/applications/${ENTRY}`,
    "usr/share/icons/hicolor/128x128/apps/patchbay.png",
    "usr/share/doc/patchbay/copyright",
  ]) {
    assert.match(files, new RegExp(` ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"), `${path} in the .deb`);
  }
  const entry = readFileSync(join(prefix, "usr/share/applications", ENTRY), "utf8");
  assert.match(entry, /^Exec=patchbay %u$/m);
  assert.match(entry, /^MimeType=x-scheme-handler\/dev\.patchbay;$/m);
  assert.match(entry, /^Icon=patchbay$/m);
  const licence = readFileSync(join(prefix, "usr/share/doc/patchbay/copyright"), "utf8");
  assert.equal(licence, readFileSync(resolve(ROOT, "LICENSE"), "utf8"));
});

test("gio open: a cold start receives its link, the running instance receives the next", async () => {
  // gio runs the entry's command with gio's own stdio: the app's log lands in this file.
  const dir = mkdtempSync(join(tmpdir(), "patchbay-packaged-"));
  const stderrPath = join(dir, "app.log");
  const fd = openSync(stderrPath, "a");
  const log = () => readFileSync(stderrPath, "utf8");
  const count = (text) => log().split(text).length - 1;
  const gioOpen = (link) => {
    const r = spawnSync("gio", ["open", link], { stdio: ["ignore", fd, fd], timeout: 15000 });
    assert.equal(r.status, 0, `gio open ${link}: exit ${r.status} ${r.error ?? ""}\n${log()}`);
  };
  // Links no connect asked for: the app refuses each with a notice, which is all a link
  // can show when nothing is waiting. What matters here is which process receives it.
  const link = () => `dev.patchbay:/oauth/callback?code=${randomBytes(8).toString("hex")}&state=${randomBytes(16).toString("base64url")}`;
  try {
    gioOpen(link());
    await waitFor("the cold-started app to handle its link", () => count("deep link handled") === 1, { timeoutMs: 60000 }).catch((e) => {
      throw new Error(`${e.message}\n${log()}`);
    });
    assert.equal(count("Patchbay set up"), 1, "one app started");
    // The handler check runs off the main thread after set-up, so it may log after the link.
    await waitFor("the app to find the package's entry as the handler", () => count("the installed package's desktop entry handles dev.patchbay: links") === 1, { timeoutMs: 30000 }).catch((e) => {
      throw new Error(`${e.message}\n${log()}`);
    });

    gioOpen(link());
    await waitFor("the running app to handle the next link", () => count("deep link handled") === 2, { timeoutMs: 30000 }).catch((e) => {
      throw new Error(`${e.message}\n${log()}`);
    });
    // The second instance gio started forwarded its link and left before setting up.
    assert.equal(count("Patchbay set up"), 1, "the second link reached the running app, not a new window");
    assert.equal(count("deep link arrived"), 2);
    // The package's entry is still the handler: the app did not write one of its own.
    assert.equal(defaultHandler(), ENTRY);
    assert.ok(!existsSync(join(apps, "patchbay-handler.desktop")), "no per-user handler written");
  } finally {
    closeSync(fd);
    // Stop the instance gio started: its command line is the entry's `patchbay URL`, so it is
    // found by what it runs (the packaged binary), not by its arguments.
    for (const pid of processesRunning(PACKAGED)) process.kill(pid, "SIGTERM");
    await appGone();
  }
});

test("a whole connect flow completes through the packaged binary", async () => {
  const sandbox = await startSandbox(["--records", "40", "--seed", "7"]);
  const browserDir = mkdtempSync(join(tmpdir(), "patchbay-browser-"));
  const browser = testBrowser(browserDir);
  makeTestBrowserTheDefault();
  browser.decide("allow");
  const app = await launch({
    env: {
      PATCHBAY_SANDBOX_URL: sandbox.url,
      BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
      PATCHBAY_TEST_BROWSER_DIR: browserDir,
    },
  });
  try {
    await connectThroughBrowser(app.session, "whatconverts", { browserLog: browser.log });
    await waitForRecords(app.session, "whatconverts", 40, { timeoutMs: 30000 });
    await app.session.screenshot(resolve(SHOTS, "packaged-records.png"));
    // The approval came back through the package's entry (gio, then the packaged binary as a
    // second instance that forwarded it).
    assert.match(browser.log(), /handed over: exit 0/);
    assert.equal(defaultHandler(), ENTRY);
    assert.ok(!existsSync(join(apps, "patchbay-handler.desktop")), "no per-user handler written");
  } finally {
    await app.close();
    await sandbox.stop();
  }
});

after(() => {
  spawnSync("rm", ["-rf", prefix]);
});
