// Building the filter as it was at another commit, for the worker bench's
// mirrorshade_before: a temporary git worktree, removed afterwards (or by the next run).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../paths.js";
import { tiedArgv } from "../tied.js";

/**
 * Builds the filter as it was at `rev`, in a temporary git worktree (node_modules linked from this tree
 * when the lock file and patches/ did not change since, else `npm ci` there), and returns a copy of its
 * build/mirrorshade.wasm in `into`. The worktree is removed afterwards.
 */
export function buildWasmAt(rev: string, into: string, progress: (l: string) => void): { file: string; commit: string } {
  const commit = git("rev-parse", "--verify", `${rev}^{commit}`);
  removeStaleWorktrees(progress);
  const owner = mkdtempSync(join(tmpdir(), "mirrorshade-rev-"));
  writeFileSync(join(owner, "owner.pid"), String(process.pid));
  const dir = join(owner, "tree");
  progress(`building the filter at ${commit.slice(0, 12)} in a temporary worktree ${dir}`);
  git("worktree", "add", "--detach", dir, commit);
  const link = join(dir, "node_modules");
  // The build script (or npm ci) dies with this process (harness/tied.ts); a compiler it already started ends on its own, and
  // the worktree a killed run leaves is removed by the next run (removeStaleWorktrees).
  const run = (cmd: string, args: string[]) => {
    const [c, ...a] = tiedArgv(cmd, args);
    execFileSync(c, a, { cwd: dir, stdio: "ignore" });
  };
  try {
    let sameDeps = true;
    try {
      execFileSync("git", ["-C", projectRoot, "diff", "--quiet", commit, "HEAD", "--", "package-lock.json", "patches"]);
    } catch {
      sameDeps = false;
    }
    if (sameDeps) symlinkSync(join(projectRoot, "node_modules"), link);
    else run("npm", ["ci", "--no-audit", "--no-fund"]);
    run("node", [join(dir, "scripts", "build.mjs")]);
    const file = join(into, `mirrorshade-${commit.slice(0, 12)}.wasm`);
    copyFileSync(join(dir, "build", "mirrorshade.wasm"), file);
    return { file, commit };
  } finally {
    if (existsSync(link)) {
      try {
        unlinkSync(link);
      } catch {
        /* a directory from npm ci: the worktree removal takes it */
      }
    }
    removeWorktree(dir);
  }
}

const git = (...args: string[]) => execFileSync("git", ["-C", projectRoot, ...args], { encoding: "utf8" }).trim();

/** Removes one of buildWasmAt's worktrees and the folder holding it. */
function removeWorktree(dir: string): void {
  try {
    git("worktree", "remove", "--force", dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    git("worktree", "prune");
  }
  rmSync(join(dir, ".."), { recursive: true, force: true });
}

/** Worktrees buildWasmAt left behind when its process was killed (their owner.pid names a process that is gone). */
function removeStaleWorktrees(progress: (l: string) => void): void {
  const prefix = join(tmpdir(), "mirrorshade-rev-");
  const ours = (path: string) => path.startsWith(prefix) && /^[^/]+\/tree$/.test(path.slice(prefix.length));
  for (const line of git("worktree", "list", "--porcelain").split("\n")) {
    const path = line.startsWith("worktree ") ? line.slice(9) : "";
    if (!ours(path)) continue;
    let alive = false;
    try {
      process.kill(Number(readFileSync(join(path, "..", "owner.pid"), "utf8")), 0);
      alive = true;
    } catch {
      /* no owner file, or its process is gone */
    }
    if (alive) continue;
    progress(`removing the worktree ${path} a killed run left behind`);
    try {
      unlinkSync(join(path, "node_modules"));
    } catch {
      /* none, or npm ci's directory */
    }
    removeWorktree(path);
  }
}
