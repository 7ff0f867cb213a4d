// Starts the real Patchbay binary under tauri-driver for one test and stops every process it
// started. The caller runs inside Xvfb and its own dbus-run-session (scripts/e2e.sh).
import { resolve } from "node:path";
import { existsSync } from "node:fs";
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
    },
  };
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
