import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each e2e file starts its own Envoy; two cores, so one file at a time keeps timings honest.
    fileParallelism: false,
    reporters: ["default"],
  },
});
