// Starts the real Patchbay binary under tauri-driver for one test and stops every process it
// started. The caller runs inside Xvfb and its own dbus-run-session (scripts/e2e.sh).
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
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

export async function launch({ env = {} } = {}) {
  if (!existsSync(APP)) throw new Error(`no app binary at ${APP}: build it with cargo build`);
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
