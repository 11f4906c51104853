/** The StackEngine backed by Pulumi's Automation API (needs the Pulumi CLI and the providers' credentials). */
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../layers/identity";
import { ExternalError } from "../registry/problems";
import type { AppliedTenant } from "./guard";
import type { Action, StackEngine } from "./run";

/** The Automation API's errors start with "code: 255 / stdout: ..."; the useful part is the CLI's last error line. */
function cliError(e: unknown): string {
  const err = e as { message?: string; commandResult?: { stderr?: string } };
  const text = err.commandResult?.stderr || err.message || String(e);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.filter((l) => /^error:/i.test(l)).pop() ?? lines.pop() ?? "unknown error";
}

async function select(stackName: string, program: () => Promise<Record<string, unknown>>): Promise<Stack> {
  try {
    return await LocalWorkspace.createOrSelectStack({ projectName: PROJECT, stackName, program });
  } catch (e) {
    const message = (e as Error).message;
    if (/ENOENT/.test(message))
      throw new ExternalError(
        "the Pulumi CLI was not found on PATH: install it (https://www.pulumi.com/docs/install/) and log in to a backend",
      );
    throw new ExternalError(
      `cannot open stack ${stackName} through the Pulumi CLI: ${message.split("\n")[0]}`,
    );
  }
}

export const automationEngine: StackEngine = {
  async appliedTenants(stackName) {
    const stack = await select(stackName, async () => ({}));
    const outputs = await stack.outputs();
    const tenants = outputs.tenants?.value as Record<string, { offboarding?: boolean }> | undefined;
    if (!tenants) return undefined;
    return Object.entries(tenants).map(([id, t]): AppliedTenant => ({
      id,
      offboarding: t.offboarding === true,
    }));
  },
  async run(action: Action, stackName, program) {
    const stack = await select(stackName, program);
    const onOutput = (out: string) => process.stderr.write(out);
    try {
      if (action === "preview") {
        const r = await stack.preview({ onOutput });
        return JSON.stringify(r.changeSummary);
      }
      if (action === "up") {
        const r = await stack.up({ onOutput });
        return JSON.stringify(r.summary.resourceChanges ?? {});
      }
      // protected resources (tenant namespaces) stay; the rest of the stack goes
      const r = await stack.destroy({ onOutput, excludeProtected: true });
      return JSON.stringify(r.summary.resourceChanges ?? {});
    } catch (e) {
      throw new ExternalError(`${action} of ${stackName} failed: ${cliError(e)}`);
    }
  },
};
