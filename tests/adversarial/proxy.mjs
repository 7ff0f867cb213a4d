// A recording reverse proxy in front of the sandbox, on 127.0.0.1. The app is pointed at it
// (PATCHBAY_SANDBOX_URL), so the suite learns every secret the OAuth exchange carries (codes,
// PKCE verifiers, access and refresh tokens) without the sandbox exposing them, and can then
// look for them where they must never be. The sandbox's own origin is rewritten to the
// proxy's in headers and bodies (the `iss` of a redirect must match the app's issuer).
import http from "node:http";

export async function startRecordingProxy(target) {
  const upstream = new URL(target);
  const secrets = new Set();
  const note = (v) => {
    if (typeof v === "string" && v.length >= 16) secrets.add(v);
  };
  let own = "";
  const rewrite = (text) =>
    text
      .split(target)
      .join(own)
      .split(encodeURIComponent(target))
      .join(encodeURIComponent(own));

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    if (req.url.includes("/oauth/token") || req.url.includes("/oauth/revoke")) {
      const form = new URLSearchParams(body.toString("utf8"));
      for (const k of ["code", "code_verifier", "refresh_token", "token"]) note(form.get(k));
    }
    const headers = { ...req.headers, host: upstream.host };
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
      async (ur) => {
        const out = [];
        for await (const c of ur) out.push(c);
        let payload = Buffer.concat(out);
        const type = String(ur.headers["content-type"] ?? "");
        if (/json|html|text/.test(type)) {
          const text = payload.toString("utf8");
          if (req.url.includes("/oauth/token")) {
            try {
              const j = JSON.parse(text);
              note(j.access_token);
              note(j.refresh_token);
            } catch {
              // not JSON (an error page): nothing issued
            }
          }
          payload = Buffer.from(rewrite(text), "utf8");
        }
        const h = { ...ur.headers };
        delete h["transfer-encoding"];
        h["content-length"] = String(payload.length);
        if (h.location) {
          const loc = new URL(h.location, "http://x").searchParams;
          note(loc.get("code"));
          h.location = rewrite(h.location);
        }
        res.writeHead(ur.statusCode, h);
        res.end(payload);
      },
    );
    up.on("error", () => res.destroy());
    up.end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  own = `http://127.0.0.1:${server.address().port}`;
  return {
    url: own,
    /** Every code, verifier and token seen so far. */
    secrets: () => [...secrets],
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections(); // keep-alive sockets of the app would hold close() open
      }),
  };
}
