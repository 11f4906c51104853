/**
 * Layer "vault" (after platform): per tenant its policy, identity and deployer credentials, and (with
 * `vault.sops`) its namespaces' SOPS transit keys. Offboarding tenants (and offboarding namespaces) are left out
 * of access, which revokes all of it; KV data and SOPS keys stay until the record goes.
 */
import { sopsKeys } from "../components/sops/layer";
import { tenantVaults } from "../components/vault/layer";
import { layerProgram } from "./layer";

export const vaultProgram = layerProgram([sopsKeys, tenantVaults]);
