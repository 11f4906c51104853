import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { tenantKubeconfig } from "../../policy/kubeconfig";
import { InvalidInputError, UsageError } from "../../components/core/problems";
import { runCli } from "../helpers/cli";
import { loadExample as model } from "../plan/registries";

describe("tenancy kubeconfig", () => {
  it("has one context per owned and invited namespace, and authenticates through the OIDC exec plugin", async () => {
    const config = tenantKubeconfig(await model(), "alice") as {
      contexts: { name: string; context: { namespace: string; user: string; cluster: string } }[];
      users: { name: string; user: Record<string, unknown> }[];
      clusters: { name: string; cluster: { server: string } }[];
      "current-context": string;
    };
    // one context per (cluster, namespace): alice-dev is on the GPU cluster too
    expect(
      config.contexts.map((c) => [c.name, c.context.cluster, c.context.namespace, c.context.user]),
    ).toEqual([
      ["main-alice", "main", "alice", "alice@main"],
      ["main-alice-dev", "main", "alice-dev", "alice@main"],
      ["main-bob-staging", "main", "bob-staging", "alice@main"],
      ["eu-gpu/alice-dev", "eu-gpu", "alice-dev", "alice@eu-gpu"],
    ]);
    expect(config["current-context"]).toBe("main-alice");
    expect(config.clusters).toEqual([
      { name: "main", cluster: { server: "https://k8s.example.com:6443" } },
      { name: "eu-gpu", cluster: { server: "https://gpu.k8s.example.com:6443" } },
    ]);
    expect(config.users.map((u) => u.name)).toEqual(["alice@main", "alice@eu-gpu"]);
    expect(config.users[1]!.user).toEqual(config.users[0]!.user);
    expect(config.users.slice(0, 1)).toEqual([
      {
        name: "alice@main",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "kubectl",
            args: [
              "oidc-login",
              "get-token",
              "--oidc-issuer-url=https://sso.example.com/realms/platform",
              "--oidc-client-id=kubernetes",
              "--oidc-extra-scope=email",
            ],
            interactiveMode: "IfAvailable",
          },
        },
      },
    ]);
    // no credential of any kind in the file
    expect(JSON.stringify(config)).not.toMatch(
      /"(token|client-key-data|client-certificate-data|password|auth-provider)"/,
    );
  });

  it("refuses unknown and offboarding tenants, and an environment without the API server URL", async () => {
    const m = await model();
    expect(() => tenantKubeconfig(m, "nobody")).toThrow(new UsageError("no such tenant: nobody"));
    expect(() => tenantKubeconfig(m, "dave")).toThrow(
      new UsageError("tenant dave is offboarding: it has no access any more"),
    );
    const noServer = {
      ...m,
      environment: { ...m.environment, clusters: [{ ...m.environment.clusters[0]!, server: undefined }] },
    };
    expect(() => tenantKubeconfig(noServer, "alice")).toThrow(InvalidInputError);
  });

  it("prints YAML through the CLI", () => {
    const r = runCli(["kubeconfig", "bob"]);
    expect(r.code).toBe(0);
    const config = parse(r.stdout) as { kind: string; contexts: { name: string }[] };
    expect(config.kind).toBe("Config");
    // bob owns two namespaces and is invited by alice into alice-dev
    expect(config.contexts.map((c) => c.name)).toEqual([
      "main-bob-prod",
      "main-bob-staging",
      "main-alice-dev",
      "eu-gpu/alice-dev",
      "us-east/bob-prod",
    ]);
    expect(runCli(["kubeconfig", "nobody"]).code).toBe(2);
  });
});
