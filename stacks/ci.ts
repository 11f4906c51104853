/**
 * Layer "ci" (after vault): how pipelines obtain deployer credentials. Shared mode (one CI identity for
 * every tenant) and per-tenant mode (a JWT role per tenant) as the environment configures; and the CI
 * system's admin list.
 */
import { ciAdmins, sharedCi, tenantCi } from "../components/ci/layer";
import { layerProgram } from "./layer";

export const ciProgram = layerProgram([sharedCi, tenantCi, ciAdmins]);
