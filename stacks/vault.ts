/**
 * Layer "vault" (after platform): per tenant its policy, identity and deployer credentials, and (with
 * `vault.sops`) its namespaces' SOPS transit keys, and the shared objects of its namespaces (a Secret's data read
 * from Vault KV: this stack holds both the Vault and the Kubernetes providers; docs/shared-objects.md). Offboarding tenants (and offboarding namespaces) are left out
 * of access, which revokes all of it; KV data and SOPS keys stay until the record goes.
 */
import { tenantSharedObjects } from "../components/shared/layer";
import { sopsKeys } from "../components/sops/layer";
import { tenantVaults } from "../components/vault/layer";
import { layerProgram } from "./layer";

export const vaultProgram = layerProgram([sopsKeys, tenantVaults, tenantSharedObjects]);
