/**
 * Shared objects' validation (docs/shared-objects.md): every bound with its file and field, messages pinned.
 * A tenant's Secret reads its own KV paths only, the environment's and a tier's a platform path; names are DNS
 * labels, clear of the platform's objects and declared once across scopes (no scope overrides another);
 * NetworkPolicies stay within the platform's isolation; LimitRanges within the tier. Each refusal has a control
 * that passes.
 */
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../../plan/plan";
import { tenantWriting } from "../../../components/shared/rules";
import type { TenantFileInput } from "../../../registry/schema";
import { LAYERS } from "../../../stacks/layers";
import { admit, clusterOf, request } from "../../helpers/admission";
import { PULL_PATH, PULL_SECRET, TENANTS, environment, registry, withTierObjects } from "./fixtures";
import { problemsOf } from "../../helpers/problems";

/** The problems a registry's validation reports, formatted as the CLI prints them; [] when it is valid. */
const problems = (envData: unknown, tenants: Record<string, TenantFileInput> = TENANTS): string[] =>
  problemsOf(() => registry(envData, tenants));

/** The fixture's tenants, ann declaring `objects`. */
const annDeclares = (objects: unknown[], extra: Partial<TenantFileInput> = {}) => ({
  ...TENANTS,
  ann: { ...TENANTS.ann, ...extra, sharedObjects: objects } as TenantFileInput,
});

const secret = (path: string, name = "app-token") => ({
  kind: "Secret",
  name,
  vault: { path, keys: { token: "token" } },
});
const netpol = (spec: unknown, name = "extra") => ({ kind: "NetworkPolicy", name, spec });
const ENV = "environments/example.yaml";
/** The environment's data as parsed YAML (untyped). */
type EnvData = ReturnType<typeof environment>;

describe("a Secret's KV path", () => {
  it("a tenant's: its own paths only, never another tenant's", () => {
    expect(problems(environment(), annDeclares([secret("tenants/ben/app")]))).toEqual([
      'tenants/ann.yaml: sharedObjects[0].vault.path: "tenants/ben/app" (secret/data/tenants/ben/app) is not one of tenant "ann"\'s KV paths (secret/data/tenants/ann/*): a tenant\'s shared Secret reads its own secrets only',
    ]);
    expect(problems(environment(), annDeclares([secret("platform/registry")]))).toHaveLength(1);
    // control: its own
    expect(problems(environment(), annDeclares([secret("tenants/ann/app")]))).toEqual([]);
  });

  it("with top-level tenant paths, a tenant's own top-level name", () => {
    const env = environment((e) => (e.vault.tenantPaths = "top-level"));
    expect(problems(env, annDeclares([secret("ann/app")]))).toEqual([]);
    expect(problems(env, annDeclares([secret("ben/app")]))[0]).toContain(
      'tenants/ann.yaml: sharedObjects[0].vault.path: "ben/app" (secret/data/ben/app) is not one of tenant "ann"\'s KV paths',
    );
  });

  it("the environment's or a tier's: a platform path, never under the tenants' prefix", () => {
    expect(
      problems(
        withTierObjects([{ ...PULL_SECRET, vault: { ...PULL_SECRET.vault, path: "tenants/ann/registry" } }]),
      ),
    ).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].vault.path: "tenants/ann/registry" lies under vault.tenantPrefix "tenants", where tenants write: tier "team"'s shared Secret reads a platform path (any other)`,
    ]);
    const env = environment((e) => {
      e.vault.tenantPaths = "top-level";
      e.sharedObjects = [{ ...PULL_SECRET, vault: { ...PULL_SECRET.vault, path: "registry/pull" } }];
    });
    expect(problems(env)).toEqual([
      `${ENV}: sharedObjects[0].vault.path: "registry/pull" does not begin with one of vault.reservedPaths ("platform"): with top-level tenant paths any other top-level name may be a tenant's; the environment's shared Secret reads a platform path`,
    ]);
    // control: under a reserved path
    expect(problems(withTierObjects())).toEqual([]);
  });

  it("the environment's or a tier's: never under a multi-segment vault.tenantPrefix, nor anywhere a tenant's policy writes", () => {
    // tenant ann's policy writes secret/data/org/tenants/ann/*: its content must never reach every tenant's namespaces
    const env = (path: string, edit: (e: EnvData) => void = () => {}) =>
      environment((e) => {
        e.vault.tenantPrefix = "org/tenants";
        edit(e);
        e.tiers.team.sharedObjects = [{ ...PULL_SECRET, vault: { ...PULL_SECRET.vault, path } }];
      });
    expect(problems(env("org/tenants/ann/pull"))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].vault.path: "org/tenants/ann/pull" lies under vault.tenantPrefix "org/tenants", where tenants write: tier "team"'s shared Secret reads a platform path (any other)`,
    ]);
    expect(problems(env("org/tenants"))).toHaveLength(1);
    // controls: beside the prefix, not under it
    expect(problems(env("org/platform/pull"))).toEqual([]);
    expect(problems(env("org/tenants-ca/pull"))).toEqual([]);
    expect(problems(env(PULL_PATH))).toEqual([]);
    // every layout: a path a tenant's (or a namespace's) policy may write is refused, a reserved one is not
    for (const layout of ["top-level", "per-namespace"])
      for (const [path, refused] of [
        ["ann/pull", true],
        ["ann-web/pull", true],
        ["anyone/pull", true],
        ["platform/ann/pull", false],
      ] as const)
        expect(problems(env(path, (e) => (e.vault.tenantPaths = layout))).length, `${layout} ${path}`).toBe(
          refused ? 1 : 0,
        );
  });

  it("no tenant's Vault policy, of any id or namespace, writes where the environment's or a tier's Secret reads (Vault's own matching)", () => {
    const env = (edit: (e: EnvData) => void) => registry(environment(edit), {}).environment;
    const prefixed = env((e) => (e.vault.tenantPrefix = "org/tenants"));
    expect(tenantWriting(prefixed, "org/tenants/ann/pull", [])).toBe('the Vault policy of a tenant "ann"');
    expect(tenantWriting(prefixed, "org/tenants/zed/a/b", [])).toBe('the Vault policy of a tenant "zed"');
    expect(tenantWriting(prefixed, "org/tenants", [])).toBeUndefined();
    expect(tenantWriting(prefixed, "org/tenants/ann", [])).toBeUndefined(); // tenants/<id>/* only
    expect(tenantWriting(prefixed, "org/platform/pull", [])).toBeUndefined();
    const topLevel = env((e) => (e.vault.tenantPaths = "top-level"));
    expect(tenantWriting(topLevel, "ann", [])).toBe('the Vault policy of a tenant "ann"');
    expect(tenantWriting(topLevel, "ann/pull", [])).toBe('the Vault policy of a tenant "ann"');
    expect(tenantWriting(topLevel, "platform/ann", [])).toBeUndefined(); // no tenant may be named platform
    expect(tenantWriting(topLevel, "registry/x", ["registry"])).toBeUndefined(); // nor like the registry's own
    expect(tenantWriting(topLevel, "registry/x", [])).toBe('the Vault policy of a tenant "registry"');
    const perNamespace = env((e) => (e.vault.tenantPaths = "per-namespace"));
    expect(tenantWriting(perNamespace, "ann-web/pull", [])).toBe(
      'the Vault policy of the tenant of a namespace "ann-web"',
    );
    expect(tenantWriting(perNamespace, "ann-web", [])).toBeUndefined(); // <ns>/* only
    expect(tenantWriting(perNamespace, "platform/ann-web/pull", [])).toBeUndefined();
  });

  it("its data keys: the type's required key, each a valid key", () => {
    expect(
      problems(
        withTierObjects([{ ...PULL_SECRET, vault: { path: "platform/registry", keys: { config: "x" } } }]),
      ),
    ).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].vault.keys: a kubernetes.io/dockerconfigjson Secret needs the data key ".dockerconfigjson"`,
    ]);
    expect(
      problems(
        withTierObjects([{ kind: "Secret", name: "s", vault: { path: "platform/x", keys: { "a/b": "x" } } }]),
      )[0],
    ).toContain(`${ENV}: tiers.team.sharedObjects[0].vault.keys.a/b:`);
  });
});

describe("names", () => {
  it("a DNS label", () => {
    expect(problems(withTierObjects([{ ...PULL_SECRET, name: "Reg.Cred" }]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].name: "Reg.Cred" is not a valid object name (lowercase RFC 1123 label, at most 63 characters)`,
    ]);
  });

  it("not the platform's prefix, nor the platform's own object of the kind in a namespace", () => {
    expect(problems(withTierObjects([{ kind: "ConfigMap", name: "tenancy-admission", data: {} }]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].name: "tenancy-admission" begins with "tenancy-", which the platform's own objects in a namespace use; choose another name`,
    ]);
    const limits = {
      kind: "LimitRange",
      name: "tenant-limits",
      spec: { limits: [{ type: "Pod", max: { cpu: "1" } }] },
    };
    expect(problems(withTierObjects([limits]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].name: LimitRange "tenant-limits" is the platform's own LimitRange in namespace "ann-web" (names in ${ENV}); choose another name`,
    ]);
    // control: another name
    expect(problems(withTierObjects([{ ...limits, name: "pod-limits" }]))).toEqual([]);
  });

  it("declared once across scopes: refused at the lower scope, naming the other", () => {
    expect(problems(withTierObjects(), annDeclares([secret("tenants/ann/app", "regcred")]))).toEqual([
      `tenants/ann.yaml: sharedObjects[0].name: Secret "regcred" is also declared by tier "team" (${ENV}) for tenant "ann"'s namespaces; a shared object is declared once (no scope overrides another): remove one or rename it`,
    ]);
    const both = environment((e) => {
      e.sharedObjects = [PULL_SECRET];
      e.tiers.team.sharedObjects = [PULL_SECRET];
    });
    expect(problems(both)).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].name: Secret "regcred" is also declared by the environment (${ENV}) for tenant "ann"'s namespaces; a shared object is declared once (no scope overrides another): remove one or rename it`,
    ]);
    // control: the same name of another kind is no collision
    expect(
      problems(withTierObjects(), annDeclares([{ kind: "ConfigMap", name: "regcred", data: {} }])),
    ).toEqual([]);
    expect(problems(withTierObjects([PULL_SECRET, PULL_SECRET]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[1].name: Secret "regcred" is declared twice`,
    ]);
  });
});

describe("NetworkPolicies within the platform's isolation", () => {
  const from = (peer: unknown) => ({
    podSelector: {},
    policyTypes: ["Ingress"],
    ingress: [{ from: [peer] }],
  });
  const to = (peer: unknown, ports?: unknown) => ({
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [{ to: [peer], ...(ports ? { ports } : {}) }],
  });
  const ns = (name: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
  });

  it("another tenant's namespace, or any namespace but by its name, is refused", () => {
    expect(problems(environment(), annDeclares([netpol(from(ns("ben")))]))).toEqual([
      'tenants/ann.yaml: sharedObjects[0].spec.ingress[0].from[0].namespaceSelector.matchLabels.kubernetes.io/metadata.name: "ben" is not a namespace tenant "ann" may let in: the ingress controller\'s or network.extraIngress\'s or tenant "ann"\'s own (ann-web, ann-api)',
    ]);
    expect(
      problems(
        environment(),
        annDeclares([netpol(from({ namespaceSelector: { matchLabels: { team: "x" } } }))]),
      ),
    ).toEqual([
      'tenants/ann.yaml: sharedObjects[0].spec.ingress[0].from[0].namespaceSelector: selects namespaces by "team": a shared NetworkPolicy pins one namespace by kubernetes.io/metadata.name, nothing else',
    ]);
    expect(problems(withTierObjects([netpol(from(ns("ann-api")))]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].spec.ingress[0].from[0].namespaceSelector.matchLabels.kubernetes.io/metadata.name: "ann-api" is not a namespace tier "team" may let in: the ingress controller's or network.extraIngress's`,
    ]);
    // controls: its own namespace, the declared ingress peer, pods of the namespace
    expect(problems(environment(), annDeclares([netpol(from(ns("ann-api")))]))).toEqual([]);
    expect(problems(withTierObjects([netpol(from(ns("monitoring")))]))).toEqual([]);
    expect(problems(withTierObjects([netpol(from({ podSelector: { matchLabels: { app: "x" } } }))]))).toEqual(
      [],
    );
  });

  it("a rule without peers allows everything: refused", () => {
    expect(
      problems(withTierObjects([netpol({ podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [] }] })])),
    ).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].spec.egress[0].to: names at least one peer: without to the rule allows everything`,
    ]);
  });

  it("egress to a declared peer no wider than declared: its pods, its ports; never a reserved range", () => {
    expect(problems(withTierObjects([netpol(to(ns("kube-system")))]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].spec.egress[0].to[0].podSelector: reaches "kube-system" wider than the platform declares it: select its pods by k8s-app=kube-dns`,
      `${ENV}: tiers.team.sharedObjects[0].spec.egress[0].ports: reaches "kube-system" on ports the platform does not declare (53/UDP, 53/TCP)`,
    ]);
    expect(problems(withTierObjects([netpol(to({ ipBlock: { cidr: "0.0.0.0/0" } }))]))).toEqual(
      ["169.254.169.254/32", "169.254.0.0/16", "10.0.0.0/20", "10.244.0.0/16", "10.96.0.0/12"].map(
        (r) =>
          `${ENV}: tiers.team.sharedObjects[0].spec.egress[0].to[0].ipBlock.cidr: "0.0.0.0/0" reaches the reserved range ${r} (network.reserved and cloud metadata): carve it out with except, or name a narrower range`,
      ),
    );
    // controls: the declared DNS peer as declared; the internet with every reserved range carved out
    const dns = { ...ns("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } };
    expect(problems(withTierObjects([netpol(to(dns, [{ port: 53, protocol: "UDP" }]))]))).toEqual([]);
    const except = ["169.254.0.0/16", "10.0.0.0/8"];
    expect(problems(withTierObjects([netpol(to({ ipBlock: { cidr: "0.0.0.0/0", except } }))]))).toEqual([]);
  });
});

describe("NetworkPolicies: validation agrees with the networkPolicies admission policy", () => {
  const ns = (name: string, pods?: Record<string, string>) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
    ...(pods ? { podSelector: { matchLabels: pods } } : {}),
  });
  const DNS = [{ port: 53, protocol: "UDP" }];
  const cases: [string, Record<string, unknown>, boolean][] = [
    ["its own namespace in", { policyTypes: ["Ingress"], ingress: [{ from: [ns("ann-api")] }] }, true],
    ["another tenant's namespace in", { policyTypes: ["Ingress"], ingress: [{ from: [ns("ben")] }] }, false],
    [
      "the declared ingress peer in",
      { policyTypes: ["Ingress"], ingress: [{ from: [ns("monitoring")] }] },
      true,
    ],
    [
      "DNS as declared",
      {
        policyTypes: ["Egress"],
        egress: [{ to: [ns("kube-system", { "k8s-app": "kube-dns" })], ports: DNS }],
      },
      true,
    ],
    ["all of kube-system", { policyTypes: ["Egress"], egress: [{ to: [ns("kube-system")] }] }, false],
    [
      "the ingress controller out",
      { policyTypes: ["Egress"], egress: [{ to: [ns("ingress-nginx")] }] },
      false,
    ],
    [
      "the internet",
      { policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }] },
      false,
    ],
    [
      "the internet, reserved ranges carved out",
      {
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16", "10.0.0.0/8"] } }] }],
      },
      true,
    ],
  ];

  it.each(cases)("%s", async (_, spec, allowed) => {
    const full = { podSelector: {}, ...spec };
    expect(problems(environment(), annDeclares([netpol(full)])).length === 0, "validation").toBe(allowed);
    // the same object written by the tenant itself (not the platform's): what admission says
    const { pairs, cluster } = clusterOf(await buildPlan(registry(environment()), LAYERS), "main");
    const object = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "mine", namespace: "ann-web" },
      spec: full,
    };
    const ann = { username: "oidc:ann@example.com", groups: ["system:authenticated"] };
    expect(admit(pairs, cluster, request("CREATE", ann, object)).allowed, "admission").toBe(allowed);
  });
});

describe("LimitRanges within the tier", () => {
  const range = (limit: Record<string, unknown>) => ({
    kind: "LimitRange",
    name: "containers",
    spec: { limits: [{ type: "Container", ...limit }] },
  });

  it("no container quantity above the tier's limits.max, wherever it lands", () => {
    expect(problems(withTierObjects([range({ default: { cpu: "8" } })]))).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].spec.limits[0].default.cpu: 8 is above tier "team"'s limits.max.cpu 4 (tenant "ann" is of that tier): a shared LimitRange stays within the tier`,
    ]);
    // the environment's lands in every tier: tier standard's max (the defaults', cpu 2) bounds it there
    const env = environment((e) => (e.sharedObjects = [range({ max: { cpu: "3" } })]));
    expect(problems(env)).toEqual([
      `${ENV}: sharedObjects[0].spec.limits[0].max.cpu: 3 is above tier "standard"'s limits.max.cpu 2 (tenant "cy" is of that tier): a shared LimitRange stays within the tier`,
    ]);
    // control: within
    expect(problems(withTierObjects([range({ default: { cpu: "2" }, max: { cpu: "4" } })]))).toEqual([]);
  });

  it("in order: min, defaultRequest, default, max", () => {
    expect(
      problems(withTierObjects([range({ default: { memory: "2Gi" }, max: { memory: "1Gi" } })])),
    ).toEqual([
      `${ENV}: tiers.team.sharedObjects[0].spec.limits[0].default.memory: 2Gi is above max.memory 1Gi`,
    ]);
  });
});

describe("an organisation's declarations", () => {
  it("land in its own namespaces and every descendant's, and a child may not declare the same again", async () => {
    const tenants = {
      acme: {
        email: "acme@example.com",
        tier: "team",
        namespaces: ["acme"],
        clusterSelector: { matchLabels: { region: "eu-west" } },
        sharedObjects: [{ kind: "ConfigMap", name: "org-ca", data: { "ca.crt": "x" } }],
      },
      ann: { ...TENANTS.ann, parent: "acme" },
      cy: TENANTS.cy,
    } as Record<string, TenantFileInput>;
    const model = registry(environment(), tenants);
    const plan = await buildPlan(model, LAYERS);
    const copies = plan.stacks
      .flatMap((s) => s.resources)
      .filter(
        (r) =>
          r.type === "kubernetes:core/v1:ConfigMap" &&
          (r.inputs.metadata as { name: string }).name === "org-ca",
      )
      .map((r) => `${r.tenant} ${r.cluster} ${(r.inputs.metadata as { namespace: string }).namespace}`)
      .sort();
    expect(copies).toEqual([
      "acme eu-gpu acme",
      "acme main acme",
      "ann eu-gpu ann-api",
      "ann eu-gpu ann-web",
      "ann main ann-api",
      "ann main ann-web",
    ]);
    const child = {
      ...tenants,
      ann: { ...tenants.ann, sharedObjects: [{ kind: "ConfigMap", name: "org-ca", data: {} }] },
    };
    expect(problems(environment(), child as Record<string, TenantFileInput>)).toEqual([
      `tenants/ann.yaml: sharedObjects[0].name: ConfigMap "org-ca" is also declared by tenant "acme" (tenants/acme.yaml) for tenant "ann"'s namespaces; a shared object is declared once (no scope overrides another): remove one or rename it`,
    ]);
  });
});
