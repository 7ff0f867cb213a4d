#!/usr/bin/env node
// A test "system browser" (set as $BROWSER, which xdg-open uses when there is no desktop).
// Like a person at the consent page it reads the form, presses the button the test chose
// (Allow or Deny) over HTTP, and hands the resulting dev.patchbay: redirect to the system the
// way a browser does, which starts a second Patchbay instance that forwards it; a loopback
// redirect (http://127.0.0.1:PORT/oauth/callback) it follows itself, as a browser does. A plain
// page with no form it only shows (logs its heading). Each URL it is
// asked to open is noted in opened.txt (the adversarial suite reuses its `state`).
// Talks to the sandbox on 127.0.0.1 only.
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const dir = process.env.PATCHBAY_TEST_BROWSER_DIR;
const log = (line) => dir && appendFileSync(join(dir, "browser.log"), `${line}\n`);

// The cookies the authorization server set, sent back as a browser does: an OpenID Provider
// (oidc-provider) ties its interaction and its resume to them. Loopback only, so no domains.
const jar = new Map();
function keep(res) {
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(";")[0];
    const eq = pair.indexOf("=");
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
}

/** fetch() that follows the http redirects `follows(nextUrl)` accepts, keeping cookies. */
async function follow(url, init, follows) {
  let at = new URL(url);
  let req = init;
  for (let hops = 0; hops < 10; hops++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(at, {
      ...req,
      headers: cookie ? { cookie } : {},
      redirect: "manual",
      signal: AbortSignal.timeout(10000),
    });
    keep(res);
    const location = res.headers.get("location");
    if (res.status < 300 || res.status > 399 || !location) return res;
    const next = new URL(location, at);
    if (!next.protocol.startsWith("http") || next.hostname !== "127.0.0.1" || !follows(next)) return res;
    at = next;
    req = {}; // a 302/303 is followed with a GET
  }
  throw new Error(`too many redirects from ${url}`);
}

async function main() {
  const url = new URL(process.argv[2]);
  if (dir) appendFileSync(join(dir, "opened.txt"), `${url.href}\n`);
  if (url.hostname !== "127.0.0.1") throw new Error(`refusing to browse to ${url.host}`);
  let decision = "allow";
  try {
    decision = readFileSync(join(dir, "decision"), "utf8").trim();
  } catch {
    // no file: the default is Allow
  }
  if (decision === "ignore") {
    log("opened; ignoring");
    return;
  }
  const shown = await follow(url, {}, () => true);
  const page = await shown.text();
  const consent = /name="consent" value="([^"]+)"/.exec(page)?.[1];
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  if (shown.status === 200 && !/<form/i.test(page)) {
    // A plain page (a record's own page, "Open in <Provider>"): shown, nothing to press.
    log(`showed a page: ${/<h1>([^<]*)<\/h1>/.exec(page)?.[1] ?? ""}`);
    return;
  }
  if (!consent || !action) throw new Error(`no consent form in the page: ${page.slice(0, 200)}`);
  // After the form, only the server's own redirects are followed (an OpenID Provider resumes
  // the authorization at its /auth/UID): the one to the app's redirect URI is handled below.
  const form = new URL(action, url);
  const res = await follow(
    form,
    { method: "POST", body: new URLSearchParams({ consent, decision }) },
    (next) => next.origin === form.origin,
  );
  const location = res.headers.get("location");
  const redirected = res.status === 302 || res.status === 303;
  if (redirected && location?.startsWith("http://127.0.0.1:")) {
    // A loopback redirect (RFC 8252 7.3): the browser itself follows it to the app's
    // listener, which answers with a page saying how the connection went.
    log(`pressed ${decision}; following the loopback redirect`);
    const back = await fetch(location, { redirect: "manual", signal: AbortSignal.timeout(30000) });
    const text = (await back.text()).replace(/\s+/g, " ");
    const title = /<h1>([^<]*)<\/h1>/.exec(text)?.[1] ?? "";
    log(`loopback answered ${back.status}: ${title}`);
    return;
  }
  if (!redirected || !location?.startsWith("dev.patchbay:")) {
    throw new Error(`consent answered ${res.status} ${location}`);
  }
  log(`pressed ${decision}; handing the redirect to the system`);
  // gio delivers through the handler the app registered; xdg-open is the fallback.
  let r = spawnSync("gio", ["open", location], { stdio: "inherit", timeout: 15000 });
  if (r.status !== 0) r = spawnSync("xdg-open", [location], { stdio: "inherit", timeout: 15000 });
  log(`handed over: exit ${r.status}`);
}

main().catch((e) => {
  log(`error: ${e.message}`);
  process.exit(1);
});
