// Starts the real patchbay-sandbox binary on 127.0.0.1 for a test file and reads its
// request log, so tests can assert what the app did and did not send.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "./app.mjs";

const BIN = process.env.PATCHBAY_SANDBOX_BIN ?? resolve(ROOT, "target/debug/patchbay-sandbox");

export async function startSandbox(args = []) {
  // The request log is served only when asked; the app's embedded sandbox never asks.
  const child = spawn(BIN, ["--addr", "127.0.0.1:0", "--serve-request-log", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error("the sandbox did not start")), 15000);
    child.once("exit", (code) => reject(new Error(`the sandbox exited with ${code}`)));
    lines.once("line", (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m) resolveUrl(m[1]);
      else reject(new Error(`unexpected first line from the sandbox: ${line}`));
    });
  });
  lines.on("line", () => {}); // keep draining
  return {
    url,
    async requests() {
      const res = await fetch(`${url}/_sandbox/requests`, { signal: AbortSignal.timeout(5000) });
      return res.json();
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    },
  };
}
