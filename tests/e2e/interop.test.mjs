// Interop with a strict, independent authorization server: panva's oidc-provider (a certified
// OpenID Provider, from npm, installed by tests/e2e/package.json) runs in this process on
// loopback, and the real BoomTown definition is pointed at it by an override file, as a user
// could. The real app (real world, demo mode off) connects through the test browser with the
// custom-scheme or the loopback redirect and PKCE, reads records with the token, refreshes it
// when its short life ends, and on Disconnect revokes it: once as a `client_secret_post` client, once as a
// `client_secret_basic` client whose secret is full of characters RFC 6749 2.3.1 encodes; a
// revocation oidc-provider refuses is told to the user.
// Talks to 127.0.0.1 only.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Provider from "oidc-provider";
import { ROOT, SHOTS, launch, makeTestBrowserTheDefault } from "./app.mjs";
import { summary } from "./summary.mjs";
import { backToTiles, clickTestId, invoke, setDemoMode, testBrowser, tileState, waitForRecords } from "./flows.mjs";
import { sleep, waitFor } from "./webdriver.mjs";

// A short access token, so the refresh happens within the test (the app refreshes a tenth of
// the lifetime before expiry, at least 2 s).
const ACCESS_TTL = 10;
const CUSTOM_SCHEME = "dev.patchbay:/oauth/callback";
// RFC 8252 7.3: oidc-provider lets a native client's loopback redirect use any port.
const LOOPBACK = "http://127.0.0.1/oauth/callback";
const CLIENTS = {
  post: { id: "patchbay-post", secret: "post-secret-9d2k", method: "client_secret_post" },
  basic: { id: "patchbay-basic", secret: "a+b/c%d:e f&g=h", method: "client_secret_basic" },
};
const LEADS = [
  { id: 1, first_name: "Ada", last_name: "Byron", email: "ada@example.test", created_at: "2026-11-02T10:00:00Z" },
  { id: 2, first_name: "Alan", last_name: "Turing", email: "alan@example.test", created_at: "2026-11-03T10:00:00Z" },
  { id: 3, first_name: "Grace", last_name: "Hopper", email: "grace@example.test", created_at: "2026-11-04T10:00:00Z" },
];

let server;
let provider;
let base;
let browser;
let env;
/** What oidc-provider answered, endpoint by endpoint (recorded by a middleware around it). */
const seen = [];
/** Grant ids oidc-provider revoked. */
const revokedGrants = [];
/** API calls and whether oidc-provider knew their bearer token. */
const apiCalls = [];
/** The interop cases tried, for the adversarial summary's `interop-e2e` family. */
const cases = [];

/** One interop case: asserted, and counted in the summary (as lost when it fails). */
function check(name, actual, expected, message) {
  try {
    assert.deepEqual(actual, expected, message);
    cases.push({ name });
  } catch (e) {
    cases.push({ name, lost: e.message.split("\n")[0] });
    throw e;
  }
}

const form = (body) => Object.fromEntries(new URLSearchParams(body));
const readBody = (req) =>
  new Promise((ok, fail) => {
    let b = "";
    req.on("data", (c) => (b += c));
    req.on("end", () => ok(b));
    req.on("error", fail);
  });

/**
 * The interaction (login + consent) as a page the test browser reads like a person: one form
 * with a consent field and Allow. Submitting it logs the one account in and grants the
 * scopes asked for, then oidc-provider resumes the authorization.
 */
async function interaction(req, res, uid) {
  if (req.method === "GET") {
    await provider.interactionDetails(req, res); // the interaction exists and is this browser's
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<form method="post" action="/interaction/${uid}"><input type="hidden" name="consent" value="${uid}"><button name="decision" value="allow">Allow</button></form>`);
    return;
  }
  const { decision } = form(await readBody(req));
  const details = await provider.interactionDetails(req, res);
  if (decision !== "allow") {
    await provider.interactionFinished(req, res, { error: "access_denied" });
    return;
  }
  const accountId = "carter-realty";
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

/** BoomTown's API as far as the app uses it, answering only tokens oidc-provider issued. */
async function api(req, res, path) {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  const known = token ? await provider.AccessToken.find(token) : undefined;
  apiCalls.push({ path, ok: Boolean(known) });
  const json = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (!known) return json(401, { error: "invalid_token" });
  if (path === "/users/me") return json(200, { team_name: "Carter Realty" });
  if (path === "/leads") return json(200, { data: LEADS, total: LEADS.length });
  return json(404, { error: "not_found" });
}

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, base);
    const uid = /^\/interaction\/([^/]+)$/.exec(url.pathname)?.[1];
    const done = (p) =>
      p.catch((e) => {
        console.error(`interop server: ${e.stack}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    if (uid) return done(interaction(req, res, uid));
    if (url.pathname.startsWith("/v1/")) return done(api(req, res, url.pathname.slice(3)));
    return provider.callback()(req, res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(base, {
    clients: Object.values(CLIENTS).map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      application_type: "native",
      redirect_uris: [CUSTOM_SCHEME, LOOPBACK],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: c.method,
    })),
    async findAccount(ctx, id) {
      return { accountId: id, claims: async () => ({ sub: id }) };
    },
    features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
    interactions: { url: (ctx, i) => `/interaction/${i.uid}` },
    pkce: { required: () => true },
    scopes: ["openid", "offline_access"],
    ttl: { AccessToken: ACCESS_TTL, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 3600, Grant: 3600, Interaction: 600, Session: 3600 },
    cookies: { keys: ["interop-test-cookie-key"] },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (!ctx.oidc) return;
    seen.push({
      route: ctx.oidc.route,
      status: ctx.status,
      client: ctx.oidc.client?.clientId,
      grantType: ctx.oidc.params?.grant_type,
      challengeMethod: ctx.oidc.params?.code_challenge_method,
      prompt: ctx.oidc.params?.prompt,
      redirectUri: ctx.oidc.params?.redirect_uri,
      basic: /^Basic /i.test(ctx.get("authorization")),
      secretInBody: Boolean(ctx.oidc.body?.client_secret),
      body: ctx.status >= 400 ? JSON.stringify(ctx.body) : undefined,
    });
  });
  provider.on("grant.revoked", (ctx, grantId) => revokedGrants.push(grantId));

  const browserDir = mkdtempSync(join(tmpdir(), "patchbay-interop-browser-"));
  browser = testBrowser(browserDir);
  browser.decide("allow");
  makeTestBrowserTheDefault();
  env = {
    // The demo world's sandbox is never used here (demo mode is off); loopback all the same.
    PATCHBAY_SANDBOX_URL: base,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-boomtown"]'));
    await setDemoMode(app.session, false);
  } finally {
    await app.close();
  }
});

after(async () => {
  // Written whatever happened: a run that stopped early is below the family's minimum.
  const { line, details } = summary("interop-e2e", "accepted", cases, "oidc-provider on loopback");
  if (details.length) console.error(details.join("\n"));
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

/**
 * The real BoomTown definition pointed at oidc-provider, authenticating the way `method` says
 * and redirecting the way `redirect` says (`custom_scheme` or `loopback`).
 */
function boomtownOverride(method, redirect) {
  let text = readFileSync(resolve(ROOT, "crates/patchbay-core/providers/boomtown.toml"), "utf8");
  for (const [from, to] of [
    ['api_base = "https://api.boomtownroi.com/v1"', `api_base = "${base}/v1"`],
    ['issuer = "https://auth.boomtownroi.com"', `issuer = "${base}"`],
    ['authorize_url = "https://auth.boomtownroi.com/oauth/authorize"', `authorize_url = "${base}/auth"`],
    ['token_url = "https://auth.boomtownroi.com/oauth/token"', `token_url = "${base}/token"`],
    ['revoke_url = "https://auth.boomtownroi.com/oauth/revoke"', `revoke_url = "${base}/token/revocation"`],
    ['scopes = ["leads:read"]', 'scopes = ["openid", "offline_access"]'],
    ['client_auth = "client_secret_post"', `client_auth = "${method}"`],
    ['redirect = "custom_scheme"', `redirect = "${redirect}"`],
  ]) {
    assert.ok(text.includes(from), `the built-in BoomTown definition has ${from}`);
    text = text.replace(from, to);
  }
  const dir = join(process.env.XDG_CONFIG_HOME, "patchbay", "providers");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "boomtown.toml"), text);
}

async function typeInto(session, testid, value) {
  const input = await session.find(`[data-testid="${testid}"]`);
  await session.cmd("POST", `/element/${input}/clear`, {});
  await session.type(input, value);
}

/** Settings' "Use your own app": the client id, and the secret into the keychain. */
async function useOwnApp(session, client) {
  await backToTiles(session);
  await clickTestId(session, "settings", "the Settings button");
  await waitFor("the BoomTown settings", () => session.find('[data-testid="settings-page"][aria-busy="false"] [data-testid="client-secret-boomtown"]'));
  await typeInto(session, "client-id-boomtown", client.id);
  await typeInto(session, "client-secret-boomtown", client.secret);
  await clickTestId(session, "save-settings");
  await waitFor("Settings saved", async () => (await session.text(await session.find('[data-testid="settings-status"]'))) === "Settings saved.");
  const bt = (await invoke(session, "get_settings")).providers.find((p) => p.id === "boomtown");
  assert.equal(bt.client_id, client.id);
  assert.equal(bt.client_secret_saved, true, "the secret is in the keychain");
  await backToTiles(session);
}

const since = (mark, route) => seen.slice(mark).filter((s) => s.route === route);

/** Disconnects BoomTown's account in the window; answers the revocations oidc-provider saw. */
async function disconnect(session) {
  const mark = seen.length;
  await clickTestId(session, "tile-boomtown");
  await clickTestId(session, "disconnect");
  await clickTestId(session, "disconnect-confirm");
  await waitFor("the tile back to not connected", async () => (await tileState(session, "boomtown")) === "not_connected");
  return since(mark, "revocation");
}

async function connectUseAndDisconnect(client, { redirect, refresh }) {
  boomtownOverride(client.method, redirect);
  let app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-boomtown"]'));
    assert.equal((await invoke(app.session, "get_settings")).demo_mode, false, "the real world is shown");
    await useOwnApp(app.session, client);

    // Connect: the browser approves at oidc-provider, the app redeems the code, reads records.
    const mark = seen.length;
    const connectedAt = Date.now();
    await clickTestId(app.session, "tile-boomtown");
    await waitForRecords(app.session, "boomtown", LEADS.length).catch((e) => {
      throw new Error(`${e.message}\noidc-provider saw: ${JSON.stringify(seen.slice(mark))}\nbrowser log:\n${browser.log()}`);
    });
    const name = (what) => `${client.method}: ${what}`;
    const [authz] = since(mark, "authorization");
    check(name("client id from Settings"), authz.client, client.id, "the client id from Settings");
    check(name("PKCE S256"), authz.challengeMethod, "S256", "PKCE with S256");
    check(name("prompt=consent"), authz.prompt, "consent", "prompt=consent, so an OpenID server grants offline_access");
    if (redirect === "loopback") {
      const onListener = /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/.test(authz.redirectUri);
      check(name("loopback redirect"), onListener, true, `the loopback redirect, on the listener's port: ${authz.redirectUri}`);
    } else {
      check(name("custom-scheme redirect"), authz.redirectUri, CUSTOM_SCHEME, "the custom-scheme redirect");
    }
    const codes = since(mark, "token").filter((t) => t.grantType === "authorization_code");
    check(name("code redemption accepted"), codes.map((t) => [t.status, t.client]), [[200, client.id]], `the code redemption was accepted: ${JSON.stringify(codes)}`);
    const basic = client.method === "client_secret_basic";
    check(name("token request's client authentication"), [codes[0].basic, codes[0].secretInBody], [basic, !basic], `the token request authenticated with ${client.method}`);
    check(name("API accepts the access token"), apiCalls.some((c) => c.path === "/leads" && c.ok), true, "the API accepted oidc-provider's access token");
    await backToTiles(app.session);
    check(name("tile connected"), await tileState(app.session, "boomtown"), "connected");
    await app.session.screenshot(resolve(SHOTS, `interop-${client.method}-connected.png`));

    if (refresh) {
      // The tokens are kept: a new process finds the connection in the keychain, and past the
      // access token's life its next API call refreshes it with the stored refresh token.
      const refreshMark = seen.length;
      const apiMark = apiCalls.length;
      await app.close();
      app = null;
      app = await launch({ env });
      const kept = await waitFor("BoomTown connected after a restart", async () => (await tileState(app.session, "boomtown")) === "connected").then(
        () => true,
        () => false,
      );
      check(name("connection kept across a restart"), kept, true, "the new process finds the connection in the keychain");
      await sleep(Math.max(0, connectedAt + (ACCESS_TTL - 1) * 1000 - Date.now()));
      await clickTestId(app.session, "tile-boomtown");
      await clickTestId(app.session, "refresh");
      const refreshed = await waitFor("a refresh at oidc-provider", () => {
        const r = since(refreshMark, "token").filter((t) => t.grantType === "refresh_token");
        return r.length > 0 ? r : null;
      }).catch((e) => {
        throw new Error(`${e.message}\noidc-provider saw: ${JSON.stringify(seen.slice(refreshMark))}`);
      });
      check(name("refresh accepted"), refreshed.map((t) => [t.status, t.client, t.basic]), [[200, client.id, basic]], "the refresh was accepted");
      await waitFor("the API to accept the refreshed token", () => apiCalls.slice(apiMark).some((c) => c.path === "/leads" && c.ok));
      check(name("no call with an expired token"), apiCalls.slice(apiMark).filter((c) => !c.ok), [], "every API call after the refresh had a live token");
      await backToTiles(app.session);
    }

    // Disconnect: the revocation is accepted and the grant is gone at the provider.
    const revokedMark = revokedGrants.length;
    const revokes = await disconnect(app.session);
    check(
      name("revocation accepted"),
      revokes.map((r) => [r.status, r.client, r.basic, r.secretInBody]),
      [[200, client.id, basic, !basic]],
      `oidc-provider accepted the revocation with ${client.method}: ${JSON.stringify(revokes)}`,
    );
    await waitFor("the grant revoked at oidc-provider", () => revokedGrants.length > revokedMark).catch(() => {});
    const revoked = revokedGrants.slice(revokedMark);
    const left = [];
    for (const grantId of revoked) if (await provider.Grant.find(grantId)) left.push(grantId);
    check(name("grant gone at the provider"), [revoked.length > 0, left], [true, []], "the grant is revoked and gone");
    await app.session.screenshot(resolve(SHOTS, `interop-${client.method}-disconnected.png`));
  } finally {
    await app?.close();
  }
}

test("client_secret_post, loopback redirect: connect with PKCE, records with the token, Disconnect revokes the grant", async () => {
  await connectUseAndDisconnect(CLIENTS.post, { redirect: "loopback", refresh: false });
});

test("client_secret_basic with a secret of special characters, custom-scheme redirect: connect, refresh, Disconnect revokes the grant", async () => {
  await connectUseAndDisconnect(CLIENTS.basic, { redirect: "custom_scheme", refresh: true });
});

test("a revocation oidc-provider refuses (the secret changed since the connect) is told, with what to do", async () => {
  const client = CLIENTS.basic;
  const name = (what) => `refused revocation: ${what}`;
  boomtownOverride(client.method, "custom_scheme");
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-boomtown"]'));
    await useOwnApp(app.session, client);
    const mark = seen.length;
    await clickTestId(app.session, "tile-boomtown");
    await waitForRecords(app.session, "boomtown", LEADS.length);
    const granted = seen.slice(mark).filter((t) => t.route === "token" && t.status === 200).length;
    assert.equal(granted, 1, "connected");
    await backToTiles(app.session);
    // The secret is replaced in Settings (say, rotated at BoomTown but mistyped here).
    await useOwnApp(app.session, { ...client, secret: `${client.secret}-wrong` });

    const revokedMark = revokedGrants.length;
    const revokes = await disconnect(app.session);
    check(name("oidc-provider refused the client"), revokes.map((r) => [r.status, r.client]), [[401, client.id]], JSON.stringify(revokes));
    const notice = await waitFor("the revocation notice", () =>
      app.session.execute(
        "const n = document.querySelector('[data-testid=\"notice\"][data-code=\"api.revoke_failed\"]'); return n && !n.hidden ? n.textContent.trim() : null;",
      ),
    ).catch(() => "");
    console.error(`refused revocation: the window said: ${notice}`);
    check(name("the window says so"), [/BoomTown/.test(notice), /connected apps/.test(notice)], [true, true], `a notice naming BoomTown and what to do: ${notice}`);
    check(name("no grant revoked"), revokedGrants.length, revokedMark, "the grant stays at the provider (which is why the user is told)");
    await app.session.screenshot(resolve(SHOTS, "interop-revocation-refused.png"));
  } finally {
    await app.close();
  }
});
