import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Envoy installed if missing, the e2e backends chosen (containers need a Docker engine), once per run.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each e2e file starts its own Envoy; two cores, so one file at a time keeps timings honest.
    fileParallelism: false,
    reporters: ["default"],
  },
});
