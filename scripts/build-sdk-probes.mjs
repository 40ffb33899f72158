// Builds the bench's lower-bound probes written with the other proxy-wasm SDKs
// (bench/probes/go, bench/probes/rust) into build/probe-go-*.wasm and
// build/probe-rust-*.wasm. A missing toolchain skips that SDK with one line;
// a toolchain that is there but fails fails the build.
//
// Go: the Go SDK github.com/proxy-wasm/proxy-wasm-go-sdk needs Go >= 1.24 and
// builds with Go's own wasip1 target as a reactor (-buildmode=c-shared).
// Rust: rustup has no wasm32 target on this project's machines, so the probes
// build with Debian's Rust 1.63 (rustc, cargo, libstd-rust-dev-wasm32, lld-14;
// .ci/run installs them). Its cargo 1.65 cannot read crates.io's sparse index,
// so the crates are first vendored into build/rust-vendor by the `cargo` on
// PATH (rustup's), then built offline with Debian's.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const SDK_PROBES = ["noop", "dispatch"];

const DEBIAN_RUSTC = "/usr/bin/rustc";
const DEBIAN_CARGO = "/usr/bin/cargo";
const RUST_TARGET = "wasm32-wasi";

function has(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.status === 0;
}

function goVersionOk() {
  const r = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (r.status !== 0) return false;
  const m = /^go(\d+)\.(\d+)/.exec(r.stdout.trim());
  return !!m && (Number(m[1]) > 1 || Number(m[2]) >= 24);
}

export function buildGoProbes(root) {
  if (!goVersionOk()) {
    console.log("build: skipping the Go SDK probes (no Go >= 1.24 on PATH)");
    return;
  }
  const dir = join(root, "bench", "probes", "go");
  const env = { ...process.env, GOOS: "wasip1", GOARCH: "wasm" };
  for (const probe of SDK_PROBES) {
    execFileSync("go", ["build", "-buildmode=c-shared", "-buildvcs=false", "-trimpath", "-o", join(root, "build", `probe-go-${probe}.wasm`), `./${probe}`], {
      cwd: dir,
      env,
      stdio: "inherit",
    });
  }
}

export function buildRustProbes(root) {
  const sysrootStd = `/usr/lib/rustlib/${RUST_TARGET}/lib`;
  if (!existsSync(DEBIAN_RUSTC) || !existsSync(DEBIAN_CARGO) || !existsSync(sysrootStd) || !has("/usr/bin/rust-lld", ["-flavor", "wasm", "--version"])) {
    console.log("build: skipping the Rust SDK probes (Debian's rustc, cargo, libstd-rust-dev-wasm32 and lld-14 are not all installed)");
    return;
  }
  if (!has("cargo", ["vendor", "--help"])) {
    console.log("build: skipping the Rust SDK probes (no cargo with `cargo vendor` on PATH to fetch the crates)");
    return;
  }
  const dir = join(root, "bench", "probes", "rust");
  const vendor = join(root, "build", "rust-vendor");
  const stamp = join(vendor, ".cargo-lock-sha256");
  const lockHash = createHash("sha256").update(readFileSync(join(dir, "Cargo.lock"))).digest("hex");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== lockHash) {
    execFileSync("cargo", ["vendor", "--locked", "--versioned-dirs", "--quiet", vendor], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    writeFileSync(stamp, lockHash);
  }
  const targetDir = join(root, "build", "rust-target");
  execFileSync(
    DEBIAN_CARGO,
    [
      "build", "--offline", "--locked", "--release", "--quiet", "--target", RUST_TARGET, "--target-dir", targetDir,
      "--config", 'source.crates-io.replace-with="vendored-sources"',
      "--config", `source.vendored-sources.directory="${vendor}"`,
    ],
    { cwd: dir, env: { ...process.env, RUSTC: DEBIAN_RUSTC }, stdio: "inherit" },
  );
  for (const probe of SDK_PROBES) {
    copyFileSync(join(targetDir, RUST_TARGET, "release", `probe_rust_${probe}.wasm`), join(root, "build", `probe-rust-${probe}.wasm`));
  }
}
