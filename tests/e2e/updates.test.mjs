// Updates in the real app, through tauri-plugin-updater as `run()` registers it and the
// committed tauri.conf.json configures it (the project's public key, no address). Without an
// address the build says it does not update itself. Pointed at a loopback update server
// (PATCHBAY_UPDATE_ENDPOINT) that offers 0.2.0 signed by `tauri signer` with a key made here,
// which is not the project's: Settings finds 0.2.0 with its notes, downloads it, and refuses it
// with the signature sentence; nothing lands in Downloads. (Accepting and installing a signed
// update is tested on the mock runtime with keys made per test, src-tauri/update_tests.rs: the
// project's private key is not on this machine's test path, by design.)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, launch } from "./app.mjs";
import { clickTestId } from "./flows.mjs";
import { waitFor } from "./webdriver.mjs";

const FILE = "Patchbay_0.2.0_amd64.AppImage";
const TAURI = join(ROOT, "ui/node_modules/.bin/tauri");
const ARCH = { x64: "x86_64", arm64: "aarch64" }[process.arch];

let server;
let endpoint;
let downloads = 0;

before(async () => {
  // A key pair that is not the project's, and a package signed with it as a release is.
  const dir = mkdtempSync(join(tmpdir(), "patchbay-update-"));
  const key = join(dir, "stranger.key");
  const password = "not-the-release-password";
  execFileSync(TAURI, ["signer", "generate", "--ci", "-p", password, "-w", key], { stdio: "ignore" });
  const pkg = join(dir, FILE);
  writeFileSync(pkg, Buffer.concat([Buffer.from("\x7fELF\x02\x01\x01\x00", "binary"), Buffer.alloc(200_000, 7)]));
  execFileSync(TAURI, ["signer", "sign", "-f", key, "-p", password, pkg], { stdio: "ignore" });
  const signature = readFileSync(`${pkg}.sig`, "utf8").trim();
  const body = readFileSync(pkg);

  server = createServer((req, res) => {
    if (req.url === "/latest.json") {
      const base = `http://127.0.0.1:${server.address().port}`;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({
        version: "0.2.0",
        notes: "Faster People search.",
        pub_date: "2026-12-01T10:00:00Z",
        platforms: { [`linux-${ARCH}`]: { url: `${base}/${FILE}`, signature } },
      }));
    } else if (req.url === `/${FILE}`) {
      downloads += 1;
      res.setHeader("content-length", body.length);
      res.end(body);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${server.address().port}/latest.json`;
});

after(() => server?.close());

async function openUpdates(session) {
  await clickTestId(session, "settings", "the Settings button");
  // On the first visit the settings' fields arrive after the page shows and push the update
  // section down: a click aimed before that lands on whatever moved under it.
  await waitFor("the settings loaded", () => session.find('[data-testid="settings-page"][aria-busy="false"] [data-testid="check-updates"]'));
  await clickTestId(session, "check-updates", "Check for updates");
}

const statusText = (session) => session.execute("return document.querySelector('[data-testid=\"update-status\"]').textContent;");
const alertOf = (session) =>
  session.execute(
    "const a = document.querySelector('[data-testid=\"update-section\"] [role=\"alert\"]');" +
      " return a && !a.hidden ? { code: a.dataset.code, text: a.textContent } : null;",
  );

test("a build without an update address says it does not update itself", async () => {
  const app = await launch();
  try {
    await openUpdates(app.session);
    const alert = await waitFor("the update alert", () => alertOf(app.session));
    assert.equal(alert.code, "update.not_configured");
    assert.match(alert.text, /^This build of Patchbay does not update itself\./);
  } finally {
    await app.close();
  }
});

test("an update signed with a key that is not Patchbay's is found, downloaded and refused", async () => {
  const app = await launch({ env: { PATCHBAY_UPDATE_ENDPOINT: endpoint } });
  try {
    await openUpdates(app.session);
    await waitFor("the offer", async () => (await statusText(app.session)) === "Patchbay 0.2.0 is available (you have 0.1.0).");
    const notes = await app.session.execute("return document.querySelector('[data-testid=\"update-notes\"]').textContent;");
    assert.equal(notes, "Faster People search.");

    await clickTestId(app.session, "install-update", "Download and install");
    const alert = await waitFor("the refusal", () => alertOf(app.session));
    assert.equal(alert.code, "update.bad_signature");
    assert.match(alert.text, /^The update does not carry Patchbay's signature, so Patchbay refused it\.Nothing was changed\./);
    assert.equal(downloads, 1, "downloaded once, then refused");
    for (const dir of [homedir(), join(homedir(), "Downloads")]) {
      if (!existsSync(dir)) continue;
      assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("Patchbay_0.2.0")), [], `nothing saved in ${dir}`);
    }
  } finally {
    await app.close();
  }
});
