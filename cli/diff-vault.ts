/**
 * `tenancy diff --source vault --base <version>`: the registry's secret at an earlier KV version against its
 * latest, both validated with the working tree's environment, planned and compared as `diff --base <git-ref>`
 * compares two commits (ARCHITECTURE.md, "Vault as the registry"). The single-secret layout only: a per-tenant
 * registry has a version per tenant, no version of the whole.
 */
import { loadRegistry } from "../registry/load";
import type { RegistryModel } from "../registry/model";
import { parseVaultBase, readSingleSecret } from "../registry/vault-records";
import { ExternalError, UsageError } from "../components/core/problems";
import type { RegistryDiff } from "../plan/diff";
import { type CommonOptions, loadOptions } from "./options";

export async function compareWithVaultVersion(
  opts: CommonOptions & { base: string; full?: boolean },
): Promise<{ env: string; base: RegistryModel; head: RegistryModel; diff: RegistryDiff; label: string }> {
  const load = loadOptions(opts);
  if (load.source.kind !== "vault") throw new Error("not a Vault source");
  if (load.source.layout !== "single-secret")
    throw new UsageError(
      "diff --source vault compares versions of the single secret (--vault-layout single-secret); a per-tenant registry has a version per tenant, none of the whole",
    );
  const base = parseVaultBase(opts.base);
  const latest = await readSingleSecret(load.source);
  const version = "version" in base ? base.version : latest.version - base.back;
  if (version < 1)
    throw new ExternalError(
      `${latest.source}: the latest version is ${latest.version}, so --base ${opts.base} names version ${version}, which never existed`,
    );
  if (version > latest.version)
    throw new ExternalError(`${latest.source}: no version ${version}: the latest is ${latest.version}`);
  const earlier = version === latest.version ? latest : await readSingleSecret(load.source, version);
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded on use: commands that plan nothing need not load the layers */
  const { compareRegistries } = require("../plan/diff") as typeof import("../plan/diff");
  const { LAYERS } = require("../stacks/layers") as typeof import("../stacks/layers");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const headModel = await loadRegistry({ ...load, documents: latest.docs });
  const baseModel = await loadRegistry({ ...load, documents: earlier.docs });
  const diff = await compareRegistries(baseModel, headModel, LAYERS, { full: opts.full === true });
  return {
    env: load.env,
    base: baseModel,
    head: headModel,
    diff,
    label: `${latest.source} version ${version} -> version ${latest.version}`,
  };
}
