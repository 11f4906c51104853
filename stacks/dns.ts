/**
 * Layer "dns": every tenant's DNS records in Cloudflare (its domains and its app instances' hosts), in a
 * stack of their own (ARCHITECTURE.md, "Layers"): the only layer that needs the Cloudflare token, applied and
 * reviewed apart from the cluster, and reading no other layer. Offboarding tenants have no records.
 */
import { tenantRecords } from "../components/dns/layer";
import { layerProgram } from "./layer";

export const dnsProgram = layerProgram([tenantRecords]);
