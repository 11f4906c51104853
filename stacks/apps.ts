/**
 * Layer "apps" (after platform): the per-user app factory. For each (tenant, catalog app) an AppInstance in
 * the tenant's namespace, or in the app's shared namespace (made here, once, for apps placed that way).
 * A tenant-placed instance waits for its namespace in the platform stack, as the vault layer's deployers do.
 */
import { appInstances } from "../components/apps/layer";
import { layerProgram } from "./layer";

export const appsProgram = layerProgram([appInstances]);
