// The processes of a binary and their descendants (WebKitWebProcess, WebKitNetworkProcess),
// read from /proc, and their memory.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

export function processes() {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      let exe = "";
      try {
        exe = readlinkSync(`/proc/${d}/exe`);
      } catch {
        // a kernel thread or a process of another user
      }
      out.push({ pid: Number(d), ppid, exe });
    } catch {
      // the process left while we looked
    }
  }
  return out;
}

export function kib(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** The binary's processes and all their descendants (WebKitWebProcess, WebKitNetworkProcess). */
export function memoryOf(bin) {
  const all = processes();
  const roots = all.filter((p) => p.exe === bin).map((p) => p.pid);
  const tree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  let hwm = 0;
  let rss = 0;
  const names = [];
  // Each process's own figures, to tell the app's memory from WebKit's.
  const byProcess = [];
  for (const pid of tree) {
    try {
      const peak = kib(pid, "VmHWM");
      const now = kib(pid, "VmRSS");
      const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      hwm += peak;
      rss += now;
      names.push(name);
      byProcess.push({ name, peak_rss_kib: peak, rss_kib: now });
    } catch {
      // gone
    }
  }
  return { peak_rss_kib: hwm, rss_kib: rss, processes: names, by_process: byProcess };
}
