// A small W3C WebDriver client over fetch, enough to drive the real app through tauri-driver.
// It talks only to tauri-driver on 127.0.0.1.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
const COMMAND_TIMEOUT_MS = 60000;

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** WebDriver's key codes for the keys the keyboard tests press. */
export const KEYS = { TAB: "\uE004", ENTER: "\uE007", ESCAPE: "\uE00C" };

/** Sends keys to whatever has focus (WebDriver's key actions), as a keyboard would. */
export async function press(session, ...keys) {
  const actions = [];
  for (const key of keys) actions.push({ type: "keyDown", value: key }, { type: "keyUp", value: key });
  await session.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
  await session.cmd("DELETE", "/actions");
}

/** Polls `fn` until it returns a truthy value or the deadline passes. The deadline only fails
 * a test (it never decides a pass): it is generous, because a 2-core machine busy with a
 * build can take many seconds to start WebKit or answer a page. */
export async function waitFor(what, fn, { timeoutMs = 45000, intervalMs = 150 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

/** Starts tauri-driver on free ports; resolves once it answers /status. */
export async function startDriver({ env = process.env } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor("tauri-driver to listen", async () => (await fetch(`${base}/status`)).ok, {
    timeoutMs: 15000,
  });
  return {
    base,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), sleep(3000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  };
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, application, args = []) {
    const res = await fetch(`${base}/session`, {
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
      }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`new session failed: ${JSON.stringify(body)}`);
    return new Session(base, body.value.sessionId);
  }

  async cmd(method, path, body) {
    // A stuck driver fails the test instead of hanging the run.
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
    });
    const json = await res.json();
    if (!res.ok) {
      const err = new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
      err.code = json.value?.error;
      throw err;
    }
    return json.value;
  }

  async findAll(css) {
    const found = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return found.map((e) => e[ELEMENT]);
  }

  async find(css) {
    const found = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return found[ELEMENT];
  }

  text(el) {
    return this.cmd("GET", `/element/${el}/text`);
  }

  click(el) {
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  type(el, text) {
    return this.cmd("POST", `/element/${el}/value`, { text });
  }

  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  scrollIntoView(el) {
    return this.execute("arguments[0].scrollIntoView({ block: 'center' });", [{ [ELEMENT]: el }]);
  }

  /** The element's ARIA role and accessible name as the engine computes them. */
  async roleAndName(el) {
    const role = await this.cmd("GET", `/element/${el}/computedrole`);
    const name = await this.cmd("GET", `/element/${el}/computedlabel`);
    return { role, name };
  }

  /** Resolves after the page has painted twice, so a screenshot shows the current DOM. */
  settle() {
    return this.cmd("POST", "/execute/async", {
      script:
        "const done = arguments[arguments.length - 1];" +
        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
  }

  /** Without a GPU the app runs WebKit without its compositor (src-tauri/rendering.rs). In
   * that mode WebKitWebDriver answers a screenshot only after the page draws again, and a
   * still page never does: the screenshot waited forever. So while it is taken, one pixel in
   * the corner changes every frame (an element at 1% and 2% opacity), then goes. */
  async screenshot(path) {
    await this.settle();
    await this.execute(
      "const d = document.createElement('div');" +
        "d.id = 'e2e-keep-drawing';" +
        "d.setAttribute('aria-hidden', 'true');" +
        "d.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;opacity:0.01;z-index:2147483647';" +
        "document.body.append(d);" +
        "const tick = () => { d.style.opacity = d.style.opacity === '0.01' ? '0.02' : '0.01'; window.__e2eDrawing = requestAnimationFrame(tick); };" +
        "tick();",
    );
    let png;
    try {
      png = await this.cmd("GET", "/screenshot");
    } finally {
      await this.execute("cancelAnimationFrame(window.__e2eDrawing); document.getElementById('e2e-keep-drawing')?.remove();");
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(png, "base64"));
  }

  async delete() {
    try {
      await this.cmd("DELETE", "");
    } catch {
      // the app may already be gone; the driver's stop() ends the rest
    }
  }
}
