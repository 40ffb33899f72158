// What the harness starts dies with it: a killed test runner or bench leaves no
// Envoy behind (harness/tied.ts). Waits are bounded and generous; nothing here
// measures speed.
import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../../harness/paths.js";
import { e2eBackends } from "./backends.js";
import { execFileSync } from "node:child_process";

const alive = (pid: number) => {
  try {
    // A zombie has exited; only its entry is left until someone reaps it.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

const parentOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
};

/** Processes whose parent is pid and whose command line contains text. */
function childrenOf(pid: number, text: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const p = Number(d);
    if (parentOf(p) !== pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(text)) out.push(p);
    } catch {
      /* gone */
    }
  }
  return out;
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

describe("children die with the harness", () => {
  it("a process started with spawnTied ends when its parent is killed with SIGKILL", async () => {
    const script = `
      import { spawnTied } from ${JSON.stringify(join(projectRoot, "harness", "tied.ts"))};
      const c = spawnTied("sleep", ["300"], { stdio: "ignore" });
      console.log(c.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: projectRoot, stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve) => parent.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
    expect(pid).toBeGreaterThan(0);
    expect(await until(() => alive(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("sleep"), 30_000)).toBe(true);
    parent.kill("SIGKILL");
    expect(await until(() => !alive(pid), 30_000)).toBe(true);
  }, 90_000);

  it("killing a bench run midway leaves no Envoy and no load generator running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-lifetime-"));
    const bench = spawn(process.execPath, [join(projectRoot, "bin", "mirrorshade.mjs"), "bench", "--rounds", "1", "--seconds", "60", "--retakes", "0", "--loads", "saturation h1 1KB", "--scenarios", "floor", "--out", dir], {
      cwd: projectRoot,
      stdio: "ignore",
    });
    try {
      let envoys: number[] = [];
      // The Envoy of a measurement (its bootstrap lives in a mirrorshade-envoy- folder), not a short --version run.
      const started = await until(() => (envoys = childrenOf(bench.pid!, "mirrorshade-envoy-")).length > 0, 120_000);
      expect(started, "the bench started an Envoy").toBe(true);
      // The load generator: the shell that times it, and h2load under it.
      let load: number[] = [];
      const loading = await until(() => {
        const shells = childrenOf(bench.pid!, "h2load");
        load = [...shells, ...shells.flatMap((sh) => childrenOf(sh, "h2load"))];
        return shells.length > 0 && load.length > shells.length;
      }, 120_000);
      expect(loading, "the bench started h2load").toBe(true);
      expect([...envoys, ...load].every(alive)).toBe(true);
      bench.kill("SIGKILL");
      expect(await until(() => envoys.every((p) => !alive(p)), 30_000), `Envoy ${envoys.join(",")} outlived the bench`).toBe(true);
      expect(await until(() => load.every((p) => !alive(p)), 30_000), `h2load ${load.join(",")} outlived the bench`).toBe(true);
    } finally {
      if (bench.exitCode === null) bench.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 200_000);

  it.runIf(e2eBackends().includes("container"))("a container Envoy is removed when the process that started it is killed with SIGKILL", async () => {
    const script = `
      import { startEnvoyOnFreePorts } from ${JSON.stringify(join(projectRoot, "harness", "envoy", "index.ts"))};
      const { envoy } = await startEnvoyOnFreePorts((admin) => ({
        admin: { address: { socket_address: { address: "127.0.0.1", port_value: admin } } },
        static_resources: {},
      }), { backend: "container" });
      console.log("ready " + process.pid);
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: projectRoot, stdio: ["ignore", "pipe", "inherit"] });
    const mine = () => execFileSync("docker", ["ps", "-aq", "--filter", `label=mirrorshade.harness.pid=${parent.pid}`], { encoding: "utf8" }).trim();
    try {
      const ready = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 120_000);
        parent.stdout!.on("data", (d) => String(d).includes("ready") && (clearTimeout(t), resolve(true)));
      });
      expect(ready, "the child started a container Envoy").toBe(true);
      expect(mine()).not.toBe("");
      parent.kill("SIGKILL");
      expect(await until(() => mine() === "", 60_000), "the container outlived the process that started it").toBe(true);
    } finally {
      if (parent.exitCode === null) parent.kill("SIGKILL");
      const left = mine();
      if (left) execFileSync("docker", ["rm", "-f", ...left.split("\n")]);
    }
  }, 200_000);
});
