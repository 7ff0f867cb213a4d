// A reverse proxy on 127.0.0.1 that keeps every request it forwards to a sandbox whole:
// method, target, every header (Authorization included) and body. The sandbox's own log
// leaves headers out, so this is how a test proves what credentials a sandbox was or was not
// sent. The sandbox's origin is rewritten to the proxy's in responses (redirects and the
// `iss` they carry must name the address the app was given).
import http from "node:http";

export async function startRecorder(target) {
  const upstream = new URL(target);
  const seen = [];
  let own = "";
  const rewrite = (text) =>
    text.split(target).join(own).split(encodeURIComponent(target)).join(encodeURIComponent(own));

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method, url: req.url, headers: req.rawHeaders.join("\n"), body: body.toString("latin1") });
    const headers = { ...req.headers, host: upstream.host };
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
      async (ur) => {
        const out = [];
        for await (const c of ur) out.push(c);
        let payload = Buffer.concat(out);
        if (/json|html|text/.test(String(ur.headers["content-type"] ?? ""))) {
          payload = Buffer.from(rewrite(payload.toString("utf8")), "utf8");
        }
        const h = { ...ur.headers };
        delete h["transfer-encoding"];
        h["content-length"] = String(payload.length);
        if (h.location) h.location = rewrite(h.location);
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
    /** Every request forwarded so far. */
    requests: () => [...seen],
    /** All of it as one text, to search for a secret. */
    text: () => seen.map((r) => `${r.method} ${r.url}\n${r.headers}\n\n${r.body}`).join("\n\n"),
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}
