/**
 * What the plan and diff benchmarks share: registries of n generated tenants (two namespaces, a domain, a
 * member and CI each) on the example environment, and their command-line arguments.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { RegistryModel, TenantDocument } from "../registry/model";
import { buildRegistry } from "../registry/validate";

/** Where the example environment is read from: `--root DIR` (the tests' fixture), else this repository. */
export const ROOT = option("root") ?? join(__dirname, "..");

/** `--name value` from the command line, if given. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `--name N` from the command line, or the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) {
    console.error(`--${name} expects a positive whole number, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

export const benchId = (i: number) => `t${String(i).padStart(5, "0")}`;

/**
 * n generated tenants, in `shards` shards; `edit` may change a tenant's record (by index), `editEnv` the
 * environment, before validation.
 */
export function registry(
  n: number,
  edit: (i: number, data: Record<string, unknown>) => void = () => {},
  shards = 1,
  editEnv: (env: Record<string, unknown>) => void = () => {},
): RegistryModel {
  const env = parse(readFileSync(join(ROOT, "environments", "example.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  env.shards = { count: shards };
  editEnv(env);
  const docs: TenantDocument[] = Array.from({ length: n }, (_, i) => {
    const id = benchId(i);
    const data: Record<string, unknown> = {
      email: `${id}@example.com`,
      namespaces: [id, `${id}-dev`],
      domains: [`${id}.example.com`],
      ...(i > 0 ? { members: [{ tenant: benchId(i - 1), role: "viewer" }] } : {}),
      ci: { boundClaims: { repository_owner: id, repository_owner_id: String(i) } },
    };
    edit(i, data);
    return { id, source: `tenants/${id}.yaml`, data };
  });
  return buildRegistry({ name: "example", source: "environments/example.yaml", data: env }, docs);
}
