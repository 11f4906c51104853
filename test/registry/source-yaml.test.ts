/** Reading one registry file: what the read itself guarantees (registry/source-yaml.ts `readYamlFile`). */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readYamlFile } from "../../registry/source-yaml";

describe("readYamlFile", () => {
  // Linux's /proc files are regular files whose fstat size is 0 while they hold text: the shape of a file that
  // grew between the fstat and the read
  it.skipIf(!existsSync("/proc/self/status"))(
    "reads a file that holds more than fstat said whole, not cut at the size it had",
    () => {
      const r = readYamlFile("/proc/self/status");
      expect(r.ok).toBe(true);
      const data = (r as { data: Record<string, unknown> }).data;
      expect(data.Name).toEqual(expect.any(String));
      expect(Object.keys(data).length).toBeGreaterThan(10);
    },
  );
});
