// One Envoy at a time for a hostile-review describe block: each `use` starts a fresh Envoy
// with that policy (closing the one before), the last is closed after the block, and its log
// is printed after a failed test. `expectClean` sends probes through a fresh Envoy and
// fails on anything the verdict finds wrong with the outcomes.
import { afterAll, expect } from "vitest";
import { startRig, printLogsAfterFailures, type Rig } from "./fixture.js";
import { runProbes, type Probe, type Outcome } from "./hostile-lib.js";

export function hostileRigs(verdict: (probes: Probe[], res: Outcome[]) => string[], shown = 6) {
  let rig: Rig | undefined;
  const use = async (config: object): Promise<Rig> => {
    await rig?.close();
    rig = await startRig({ backend: "process", config });
    return rig;
  };
  afterAll(async () => {
    await rig?.close();
  });
  printLogsAfterFailures(() => rig);
  /** Sends the probes through a fresh Envoy with this policy: nothing may be wrong with any copy. */
  const expectClean = async (label: string, config: object, probes: Probe[]): Promise<void> => {
    const bad = verdict(probes, await runProbes(await use(config), probes, undefined, 5_000));
    console.log(`${label}: ${probes.length} probes, ${bad.length} bad\n${bad.slice(0, shown).join("\n")}`);
    expect(bad).toEqual([]);
  };
  return { use, expectClean };
}
