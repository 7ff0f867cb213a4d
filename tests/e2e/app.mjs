// Starts the real Patchbay binary under tauri-driver for one test and stops every process it
// started. The caller runs inside Xvfb and its own dbus-run-session (scripts/e2e.sh).
import { join, resolve } from "node:path";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
export const APP = process.env.PATCHBAY_APP ?? resolve(ROOT, "target/debug/patchbay");
export const SHOTS = resolve(ROOT, "target/e2e");

export const PROVIDERS = [
  ["whatconverts", "WhatConverts"],
  ["clickfunnels", "ClickFunnels"],
  ["webinargeek", "WebinarGeek"],
  ["boomtown", "BoomTown"],
  ["emailoctopus", "EmailOctopus"],
];

/** The settings file the app reads, in the throwaway config folder of scripts/e2e.sh. */
export function settingsFile(env = {}) {
  const config = env.XDG_CONFIG_HOME ?? process.env.XDG_CONFIG_HOME;
  if (!config?.startsWith(tmpdir())) throw new Error("run through scripts/e2e.sh (throwaway HOME)");
  return join(config, "dev.patchbay.desktop", "settings.json");
}

/** Marks the welcome screen seen (or not) in the settings the app will read, keeping the
 * rest of what a test prepared there. */
export function prepareWelcome(seen, env = {}) {
  const file = settingsFile(env);
  let settings = {};
  if (existsSync(file)) settings = JSON.parse(readFileSync(file, "utf8"));
  if (seen) settings.welcome_seen = true;
  else delete settings.welcome_seen;
  // Private, as the app writes its own settings (0700 folder, 0600 file): the e2e stat check
  // of the app's files (adversarial.test.mjs) then sees what the app made of them.
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  chmodSync(join(file, ".."), 0o700);
  writeFileSync(file, JSON.stringify(settings, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Starts the app. The welcome screen would cover the window on a first start: it is marked
 * seen unless the test asks for it (`welcome: true`), or leaves the file as the app saved it
 * (`welcome: "as saved"`). */
export async function launch({ env = {}, welcome = false } = {}) {
  if (!existsSync(APP)) throw new Error(`no app binary at ${APP}: build it with cargo build`);
  if (welcome !== "as saved") prepareWelcome(!welcome, env);
  const driver = await startDriver({ env: { ...process.env, ...env } });
  let session;
  try {
    session = await Session.create(driver.base, APP);
  } catch (e) {
    await driver.stop();
    throw e;
  }
  return {
    session,
    async close() {
      await session.delete();
      await driver.stop();
      await appGone();
    },
  };
}

// The app as WebKitWebDriver starts it: our binary, with or without arguments.
const APP_PATTERN = `^${APP.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( |$)`;
const appRunning = () => spawnSync("pgrep", ["-f", APP_PATTERN]).status === 0;

/** Waits until the app launched for a test has exited (killing it after 15 s): a new launch
 * while the old instance lives would only forward to it (single instance) and hang. */
export async function appGone() {
  const gone = await waitFor("the app to exit", () => !appRunning(), { timeoutMs: 15000 }).catch(() => false);
  if (!gone) {
    spawnSync("pkill", ["-KILL", "-f", APP_PATTERN]);
    await waitFor("the app to be killed", () => !appRunning(), { timeoutMs: 5000 });
  }
  // An exiting process leaves the process list (its command line empties) before it closes
  // its D-Bus connection: a launch in between finds the single-instance name still owned,
  // forwards to a process that never answers, and fails with NoReply. Wait for the name.
  await waitFor("the single-instance D-Bus name to be released", () => !singleInstanceNameOwned(), { timeoutMs: 15000 });
}

/** Whether some process owns the app's single-instance name on the session bus. */
function singleInstanceNameOwned() {
  const out = spawnSync(
    "dbus-send",
    ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"],
    { encoding: "utf8" },
  );
  if (out.status !== 0) throw new Error(`dbus-send failed: ${out.stderr}`);
  return /\.SingleInstance/.test(out.stdout);
}

/** Waits for the five tiles and returns them as {el, role, name}. */
export async function tiles(session) {
  const els = await waitFor("the provider tiles", async () => {
    const found = await session.findAll('[data-testid="tiles"] [data-provider]');
    return found.length > 0 ? found : null;
  });
  const out = [];
  for (const el of els) out.push({ el, ...(await session.roleAndName(el)) });
  return out;
}

/** Our test browser (browser.mjs) becomes what the desktop opens for http and https URLs, as
 * a user's browser would be, in the throwaway HOME that scripts/with-keyring.sh made. */
export function makeTestBrowserTheDefault() {
  const home = process.env.XDG_DATA_HOME;
  if (!home?.startsWith(tmpdir())) {
    throw new Error("run through scripts/e2e.sh or scripts/with-keyring.sh (throwaway HOME)");
  }
  const apps = join(home, "applications");
  mkdirSync(apps, { recursive: true });
  writeFileSync(
    join(apps, "patchbay-test-browser.desktop"),
    [
      "[Desktop Entry]",
      "Type=Application",
      "Name=Patchbay test browser",
      `Exec=${resolve(ROOT, "tests/e2e/browser.mjs")} %u`,
      "MimeType=x-scheme-handler/http;x-scheme-handler/https;",
      "NoDisplay=true",
      "",
    ].join("\n"),
  );
  for (const scheme of ["http", "https"]) {
    execFileSync("xdg-mime", ["default", "patchbay-test-browser.desktop", `x-scheme-handler/${scheme}`]);
  }
}
