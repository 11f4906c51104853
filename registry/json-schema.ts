/** The registry's JSON Schemas, generated from the zod schemas (editors validate as people type). */
import { z } from "zod";
import { EnvironmentFile, TenantFile } from "./schema";

export function jsonSchemas(): Record<string, unknown> {
  const gen = (schema: z.ZodType, title: string) => ({
    ...z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }),
    title,
  });
  return {
    "tenant.schema.json": gen(TenantFile, "tenancy tenant (tenants/<id>.yaml)"),
    "environment.schema.json": gen(EnvironmentFile, "tenancy environment (environments/<env>.yaml)"),
  };
}

export function serialise(schema: unknown): string {
  return JSON.stringify(schema, null, 2) + "\n";
}
