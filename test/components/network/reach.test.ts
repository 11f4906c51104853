/**
 * Reach between a tenant's own namespaces (`namespaces[].network.from`, components/network/reach.ts) and the
 * environment's reserved ranges (`network.reserved`): resolved as documented, refused with file and field.
 */
import { describe, expect, it } from "vitest";
import type { RegistryModel } from "../../../registry/model";
import { exampleEnvironmentData, registryOf } from "../../plan/registries";
import { refusedWith } from "../../helpers/problems";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;
const reachOf = (m: RegistryModel, id: string) =>
  Object.fromEntries(m.tenants.find((t) => t.id === id)!.namespaces.map((n) => [n.name, n.reachFrom]));
const problems = (tenants: Record<string, Doc>, env: unknown = exampleEnvironmentData()): string[] =>
  refusedWith(() => registryOf(tenants, env));

const alice = { email: "alice@example.com" };
const carol = { email: "carol@example.com" };
const bob = (namespaces: Doc["namespaces"], members: Doc["members"] = []): Doc => ({
  email: "bob@example.com",
  namespaces,
  members,
});

describe("network.from: reach between a tenant's namespaces", () => {
  it("by default (members) lets a namespace in only if every member invited there is invited here", () => {
    const m = registryOf({
      alice,
      carol,
      bob: bob(
        ["bob-prod", "bob-staging", "bob-dev"],
        [
          { tenant: "alice", role: "developer", namespaces: ["bob-staging", "bob-dev"] },
          { tenant: "carol", role: "viewer", namespaces: ["bob-dev"] },
        ],
      ),
    });
    expect(reachOf(m, "bob")).toEqual({
      "bob-prod": ["bob-prod"],
      "bob-staging": ["bob-staging", "bob-prod"],
      "bob-dev": ["bob-dev", "bob-prod", "bob-staging"],
    });
    // without members, every namespace of the tenant reaches every other
    expect(reachOf(registryOf({ bob: bob(["bob-a", "bob-b"]) }), "bob")).toEqual({
      "bob-a": ["bob-a", "bob-b"],
      "bob-b": ["bob-b", "bob-a"],
    });
  });

  it("tenant, namespace and a list say it explicitly", () => {
    const m = registryOf({
      alice,
      bob: bob(
        [
          { name: "bob-prod", network: { from: "tenant" } },
          { name: "bob-staging", network: { from: "namespace" } },
          { name: "bob-dev", network: { from: ["bob-staging"] } },
        ],
        [{ tenant: "alice", role: "developer", namespaces: ["bob-staging"] }],
      ),
    });
    expect(reachOf(m, "bob")).toEqual({
      "bob-prod": ["bob-prod", "bob-staging", "bob-dev"],
      "bob-staging": ["bob-staging"],
      "bob-dev": ["bob-dev", "bob-staging"],
    });
  });

  it("refuses another tenant's namespace, a repeat and an unknown value, with file and field", () => {
    expect(
      problems({
        alice: { email: "alice@example.com", namespaces: ["alice"] },
        bob: bob([{ name: "bob-prod", network: { from: ["alice", "bob-prod", "bob-prod"] } }]),
      }),
    ).toEqual([
      expect.stringMatching(
        /tenants\/bob\.yaml.*namespaces\[0\]\.network\.from\[0\].*"alice" is not a namespace of this tenant/,
      ),
      expect.stringMatching(
        /tenants\/bob\.yaml.*namespaces\[0\]\.network\.from\[2\].*"bob-prod" is listed twice/,
      ),
    ]);
    expect(problems({ bob: bob([{ name: "bob-prod", network: { from: "everyone" } }]) }).join("\n")).toMatch(
      /tenants\/bob\.yaml.*namespaces\[0\]\.network\.from/,
    );
  });
});

describe("network.reserved", () => {
  it.each([
    ["10.0.0.1/8", /host bits/],
    ["010.0.0.0/8", /as Kubernetes parses it/],
    ["::ffff:10.0.0.0/104", /as Kubernetes parses it/],
    ["10.0.0.0", /as Kubernetes parses it/],
  ])("refuses %s with its field", (cidr, why) => {
    const env = exampleEnvironmentData();
    env.network.reserved = ["10.96.0.0/12", cidr];
    const p = problems({ alice }, env).join("\n");
    expect(p).toMatch(/environments\/example\.yaml.*network\.reserved\[1\]/);
    expect(p).toMatch(why);
  });
});
