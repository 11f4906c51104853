/**
 * The Pod Security Standards helper, check by check: for each check a pod that passes it and pods that
 * violate it, at every level, with the exact line the admission controller would give (so each case fails
 * if its check is removed); then the level rules (overrides, container-level settings, hostUsers and
 * Windows relaxations), the workload kinds, and malformed input.
 */
import { describe, expect, it } from "vitest";
import { podSecurityViolations, type PodSecurityLevel } from "./pod-security";

type Fields = Record<string, unknown>;

interface TestContainer extends Fields {
  name: string;
  securityContext: Fields;
}

interface TestSpec extends Fields {
  securityContext: Fields;
  containers: TestContainer[];
  initContainers?: TestContainer[];
  ephemeralContainers?: TestContainer[];
  volumes?: Fields[];
}

interface TestPod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: { name: string; annotations?: Record<string, string> };
  spec: TestSpec;
}

/** A container that meets the restricted level on its own, given a pod-level runAsNonRoot and seccomp. */
function container(name: string): TestContainer {
  return {
    name,
    image: "registry.example/app:1.0",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
}

/** A pod that meets the restricted level, with one container, "app". */
function restrictedPod(): TestPod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web" },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [container("app")],
    },
  };
}

function app(pod: TestPod): TestContainer {
  return pod.spec.containers[0]!;
}

function levels(object: unknown): Record<PodSecurityLevel, string[]> {
  return {
    privileged: podSecurityViolations(object, "privileged"),
    baseline: podSecurityViolations(object, "baseline"),
    restricted: podSecurityViolations(object, "restricted"),
  };
}

interface Case {
  /** The check (its ID in the admission controller). */
  check: string;
  name: string;
  /** Changes the restricted pod. */
  change: (pod: TestPod) => void;
  baseline: string[];
  restricted: string[];
}

const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem",
];

const BASELINE_CAPABILITIES = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];

const CASES: Case[] = [
  // --- baseline: windowsHostProcess ---
  {
    check: "windowsHostProcess",
    name: "hostProcess false at pod and container passes",
    change: (pod) => {
      pod.spec.securityContext.windowsOptions = { hostProcess: false };
      app(pod).securityContext.windowsOptions = { hostProcess: false };
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "windowsHostProcess",
    name: "pod hostProcess true",
    change: (pod) => {
      pod.spec.securityContext.windowsOptions = { hostProcess: true };
    },
    baseline: ["hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"],
    restricted: ["hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"],
  },
  {
    check: "windowsHostProcess",
    name: "pod and container hostProcess true",
    change: (pod) => {
      pod.spec.securityContext.windowsOptions = { hostProcess: true };
      app(pod).securityContext.windowsOptions = { hostProcess: true };
    },
    baseline: [
      'hostProcess (pod and container "app" must not set securityContext.windowsOptions.hostProcess=true)',
    ],
    restricted: [
      'hostProcess (pod and container "app" must not set securityContext.windowsOptions.hostProcess=true)',
    ],
  },

  // --- baseline: hostNamespaces ---
  {
    check: "hostNamespaces",
    name: "host namespaces false passes",
    change: (pod) => Object.assign(pod.spec, { hostNetwork: false, hostPID: false, hostIPC: false }),
    baseline: [],
    restricted: [],
  },
  {
    check: "hostNamespaces",
    name: "hostNetwork",
    change: (pod) => Object.assign(pod.spec, { hostNetwork: true }),
    baseline: ["host namespaces (hostNetwork=true)"],
    restricted: ["host namespaces (hostNetwork=true)"],
  },
  {
    check: "hostNamespaces",
    name: "hostPID",
    change: (pod) => Object.assign(pod.spec, { hostPID: true }),
    baseline: ["host namespaces (hostPID=true)"],
    restricted: ["host namespaces (hostPID=true)"],
  },
  {
    check: "hostNamespaces",
    name: "hostIPC",
    change: (pod) => Object.assign(pod.spec, { hostIPC: true }),
    baseline: ["host namespaces (hostIPC=true)"],
    restricted: ["host namespaces (hostIPC=true)"],
  },
  {
    check: "hostNamespaces",
    name: "all three",
    change: (pod) => Object.assign(pod.spec, { hostNetwork: true, hostPID: true, hostIPC: true }),
    baseline: ["host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"],
    restricted: ["host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"],
  },

  // --- baseline: privileged ---
  {
    check: "privileged",
    name: "privileged false passes",
    change: (pod) => {
      app(pod).securityContext.privileged = false;
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "privileged",
    name: "privileged container",
    change: (pod) => {
      app(pod).securityContext.privileged = true;
    },
    baseline: ['privileged (container "app" must not set securityContext.privileged=true)'],
    restricted: ['privileged (container "app" must not set securityContext.privileged=true)'],
  },

  // --- baseline: capabilities_baseline (restricted: capabilities_restricted overrides it) ---
  {
    check: "capabilities_baseline",
    name: "adding NET_BIND_SERVICE passes both levels",
    change: (pod) => {
      app(pod).securityContext.capabilities = { drop: ["ALL"], add: ["NET_BIND_SERVICE"] };
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "capabilities_baseline",
    name: "adding every default capability passes baseline, not restricted",
    change: (pod) => {
      app(pod).securityContext.capabilities = { drop: ["ALL"], add: BASELINE_CAPABILITIES };
    },
    baseline: [],
    restricted: [
      'unrestricted capabilities (container "app" must not include "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT" in securityContext.capabilities.add)',
    ],
  },
  {
    check: "capabilities_baseline",
    name: "adding SYS_ADMIN and NET_RAW",
    change: (pod) => {
      app(pod).securityContext.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN", "NET_RAW"] };
    },
    baseline: [
      'non-default capabilities (container "app" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    ],
    restricted: [
      'unrestricted capabilities (container "app" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    ],
  },
  {
    check: "capabilities_baseline",
    name: "names are compared exactly (CAP_CHOWN is not CHOWN)",
    change: (pod) => {
      app(pod).securityContext.capabilities = { drop: ["ALL"], add: ["CAP_CHOWN"] };
    },
    baseline: [
      'non-default capabilities (container "app" must not include "CAP_CHOWN" in securityContext.capabilities.add)',
    ],
    restricted: [
      'unrestricted capabilities (container "app" must not include "CAP_CHOWN" in securityContext.capabilities.add)',
    ],
  },

  // --- baseline: hostPathVolumes (restricted: restrictedVolumes overrides it) ---
  {
    check: "hostPathVolumes",
    name: "emptyDir passes",
    change: (pod) => {
      pod.spec.volumes = [{ name: "scratch", emptyDir: {} }];
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "hostPathVolumes",
    name: "hostPath volume",
    change: (pod) => {
      pod.spec.volumes = [
        { name: "scratch", emptyDir: {} },
        { name: "host", hostPath: { path: "/" } },
      ];
    },
    baseline: ['hostPath volumes (volume "host")'],
    restricted: ['restricted volume types (volume "host" uses restricted volume type "hostPath")'],
  },

  // --- baseline: hostPorts ---
  {
    check: "hostPorts",
    name: "container ports without a host port (or 0) pass",
    change: (pod) => {
      app(pod).ports = [{ containerPort: 8080 }, { containerPort: 8443, hostPort: 0 }];
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "hostPorts",
    name: "host ports (listed sorted as strings, like the controller)",
    change: (pod) => {
      app(pod).ports = [
        { containerPort: 80, hostPort: 8080 },
        { containerPort: 443, hostPort: 10443 },
      ];
    },
    baseline: ['hostPort (container "app" uses hostPorts 10443, 8080)'],
    restricted: ['hostPort (container "app" uses hostPorts 10443, 8080)'],
  },

  // --- baseline: hostProbesAndHostLifecycle ---
  {
    check: "hostProbesAndHostLifecycle",
    name: "probes and hooks without a host (or an empty one) pass",
    change: (pod) => {
      Object.assign(app(pod), {
        livenessProbe: { httpGet: { path: "/healthz", port: 8080, host: "" } },
        readinessProbe: { tcpSocket: { port: 8080 } },
        lifecycle: { preStop: { httpGet: { path: "/stop", port: 8080 } } },
      });
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "hostProbesAndHostLifecycle",
    name: "probe and lifecycle hosts",
    change: (pod) => {
      Object.assign(app(pod), {
        readinessProbe: { tcpSocket: { port: 8080, host: "10.0.0.1" } },
        lifecycle: { preStop: { httpGet: { path: "/stop", port: 8080, host: "localhost" } } },
      });
    },
    baseline: [
      'probe or lifecycle host (container "app" uses probe or lifecycle hosts "10.0.0.1", "localhost")',
    ],
    restricted: [
      'probe or lifecycle host (container "app" uses probe or lifecycle hosts "10.0.0.1", "localhost")',
    ],
  },
  {
    check: "hostProbesAndHostLifecycle",
    name: "startup probe and postStart hook hosts",
    change: (pod) => {
      Object.assign(app(pod), {
        startupProbe: { httpGet: { path: "/", port: 80, host: "metadata.internal" } },
        lifecycle: { postStart: { tcpSocket: { port: 80, host: "metadata.internal" } } },
      });
    },
    baseline: ['probe or lifecycle host (container "app" uses probe or lifecycle host "metadata.internal")'],
    restricted: [
      'probe or lifecycle host (container "app" uses probe or lifecycle host "metadata.internal")',
    ],
  },

  // --- baseline: appArmorProfile ---
  {
    check: "appArmorProfile",
    name: "RuntimeDefault and Localhost profiles and annotations pass",
    change: (pod) => {
      pod.metadata.annotations = {
        "container.apparmor.security.beta.kubernetes.io/app": "runtime/default",
        "container.apparmor.security.beta.kubernetes.io/other": "localhost/my-profile",
        "container.apparmor.security.beta.kubernetes.io/empty": "",
      };
      pod.spec.securityContext.appArmorProfile = { type: "RuntimeDefault" };
      app(pod).securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "my-profile" };
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "appArmorProfile",
    name: "pod appArmorProfile Unconfined",
    change: (pod) => {
      pod.spec.securityContext.appArmorProfile = { type: "Unconfined" };
    },
    baseline: ['forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")'],
    restricted: ['forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")'],
  },
  {
    check: "appArmorProfile",
    name: "container appArmorProfile Unconfined",
    change: (pod) => {
      app(pod).securityContext.appArmorProfile = { type: "Unconfined" };
    },
    baseline: [
      'forbidden AppArmor profile (container "app" must not set AppArmor profile type to "Unconfined")',
    ],
    restricted: [
      'forbidden AppArmor profile (container "app" must not set AppArmor profile type to "Unconfined")',
    ],
  },
  {
    check: "appArmorProfile",
    name: "unconfined annotation",
    change: (pod) => {
      pod.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
    },
    baseline: [
      'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
    ],
    restricted: [
      'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
    ],
  },

  // --- baseline: seLinuxOptions ---
  {
    check: "seLinuxOptions",
    name: "allowed types and a level pass",
    change: (pod) => {
      pod.spec.securityContext.seLinuxOptions = { type: "container_t", level: "s0:c123,c456" };
      app(pod).securityContext.seLinuxOptions = { type: "container_engine_t" };
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "seLinuxOptions",
    name: "pod type spc_t",
    change: (pod) => {
      pod.spec.securityContext.seLinuxOptions = { type: "spc_t" };
    },
    baseline: ['seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t")'],
    restricted: ['seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t")'],
  },
  {
    check: "seLinuxOptions",
    name: "container user and role",
    change: (pod) => {
      app(pod).securityContext.seLinuxOptions = { user: "system_u", role: "system_r" };
    },
    baseline: [
      'seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: user may not be set; role may not be set)',
    ],
    restricted: [
      'seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: user may not be set; role may not be set)',
    ],
  },

  // --- baseline: procMount (restricted: procMount_restricted overrides it) ---
  {
    check: "procMount",
    name: "Default passes",
    change: (pod) => {
      app(pod).securityContext.procMount = "Default";
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "procMount",
    name: "Unmasked",
    change: (pod) => {
      app(pod).securityContext.procMount = "Unmasked";
    },
    baseline: ['procMount (container "app" must not set securityContext.procMount to "Unmasked")'],
    restricted: ['procMount (container "app" must not set securityContext.procMount to "Unmasked")'],
  },

  // --- baseline: seccompProfile_baseline (restricted: seccompProfile_restricted overrides it) ---
  {
    check: "seccompProfile_baseline",
    name: "no seccomp profile passes baseline, not restricted",
    change: (pod) => {
      delete pod.spec.securityContext.seccompProfile;
    },
    baseline: [],
    restricted: [
      'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ],
  },
  {
    check: "seccompProfile_baseline",
    name: "Localhost passes",
    change: (pod) => {
      pod.spec.securityContext.seccompProfile = { type: "Localhost", localhostProfile: "profiles/app.json" };
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "seccompProfile_baseline",
    name: "pod Unconfined",
    change: (pod) => {
      pod.spec.securityContext.seccompProfile = { type: "Unconfined" };
    },
    baseline: ['seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
    restricted: ['seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
  },
  {
    check: "seccompProfile_baseline",
    name: "container Unconfined under a RuntimeDefault pod",
    change: (pod) => {
      app(pod).securityContext.seccompProfile = { type: "Unconfined" };
    },
    baseline: [
      'seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")',
    ],
    restricted: [
      'seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")',
    ],
  },

  // --- baseline: sysctls ---
  {
    check: "sysctls",
    name: "the safe sysctls pass",
    change: (pod) => {
      pod.spec.securityContext.sysctls = SAFE_SYSCTLS.map((name) => ({ name, value: "1" }));
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "sysctls",
    name: "unsafe sysctls (and one only v1.37 allows)",
    change: (pod) => {
      pod.spec.securityContext.sysctls = [
        { name: "kernel.msgmax", value: "65536" },
        { name: "net.ipv4.tcp_slow_start_after_idle", value: "0" },
      ];
    },
    baseline: ["forbidden sysctls (kernel.msgmax, net.ipv4.tcp_slow_start_after_idle)"],
    restricted: ["forbidden sysctls (kernel.msgmax, net.ipv4.tcp_slow_start_after_idle)"],
  },

  // --- restricted: restrictedVolumes ---
  {
    check: "restrictedVolumes",
    name: "every allowed volume type passes",
    change: (pod) => {
      pod.spec.volumes = [
        { name: "a", configMap: { name: "cm" } },
        { name: "b", csi: { driver: "csi.example" } },
        { name: "c", downwardAPI: { items: [] } },
        { name: "d", emptyDir: {} },
        { name: "e", ephemeral: { volumeClaimTemplate: { spec: {} } } },
        { name: "f", image: { reference: "registry.example/data:1" } },
        { name: "g", persistentVolumeClaim: { claimName: "data" } },
        { name: "h", projected: { sources: [] } },
        { name: "i", secret: { secretName: "s" } },
      ];
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "restrictedVolumes",
    name: "nfs volume",
    change: (pod) => {
      pod.spec.volumes = [{ name: "data", nfs: { server: "nfs.example", path: "/export" } }];
    },
    baseline: [],
    restricted: ['restricted volume types (volume "data" uses restricted volume type "nfs")'],
  },
  {
    check: "restrictedVolumes",
    name: "several restricted and unknown volume types",
    change: (pod) => {
      pod.spec.volumes = [
        { name: "ok", emptyDir: {} },
        { name: "repo", gitRepo: { repository: "https://git.example/r" } },
        { name: "data", nfs: { server: "nfs.example", path: "/export" } },
        { name: "odd", someFutureSource: {} },
      ];
    },
    baseline: [],
    restricted: [
      'restricted volume types (volumes "repo", "data", "odd" use restricted volume types "gitRepo", "nfs", "unknown")',
    ],
  },

  // --- restricted: allowPrivilegeEscalation ---
  {
    check: "allowPrivilegeEscalation",
    name: "unset",
    change: (pod) => {
      delete app(pod).securityContext.allowPrivilegeEscalation;
    },
    baseline: [],
    restricted: [
      'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)',
    ],
  },
  {
    check: "allowPrivilegeEscalation",
    name: "true",
    change: (pod) => {
      app(pod).securityContext.allowPrivilegeEscalation = true;
    },
    baseline: [],
    restricted: [
      'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)',
    ],
  },

  // --- restricted: runAsNonRoot ---
  {
    check: "runAsNonRoot",
    name: "set on every container instead of the pod passes",
    change: (pod) => {
      delete pod.spec.securityContext.runAsNonRoot;
      app(pod).securityContext.runAsNonRoot = true;
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "runAsNonRoot",
    name: "unset",
    change: (pod) => {
      delete pod.spec.securityContext.runAsNonRoot;
    },
    baseline: [],
    restricted: ['runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)'],
  },
  {
    check: "runAsNonRoot",
    name: "pod false",
    change: (pod) => {
      pod.spec.securityContext.runAsNonRoot = false;
    },
    baseline: [],
    restricted: ["runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)"],
  },

  // --- restricted: runAsUser ---
  {
    check: "runAsUser",
    name: "non-zero users pass",
    change: (pod) => {
      pod.spec.securityContext.runAsUser = 1000;
      app(pod).securityContext.runAsUser = 1001;
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "runAsUser",
    name: "container runAsUser 0",
    change: (pod) => {
      app(pod).securityContext.runAsUser = 0;
    },
    baseline: [],
    restricted: ['runAsUser=0 (container "app" must not set runAsUser=0)'],
  },
  {
    check: "runAsUser",
    name: "pod runAsUser 0",
    change: (pod) => {
      pod.spec.securityContext.runAsUser = 0;
    },
    baseline: [],
    restricted: ["runAsUser=0 (pod must not set runAsUser=0)"],
  },

  // --- restricted: seccompProfile_restricted ---
  {
    check: "seccompProfile_restricted",
    name: "set on the container instead of the pod passes",
    change: (pod) => {
      delete pod.spec.securityContext.seccompProfile;
      app(pod).securityContext.seccompProfile = { type: "RuntimeDefault" };
    },
    baseline: [],
    restricted: [],
  },
  {
    check: "seccompProfile_restricted",
    name: "unset at pod and container",
    change: (pod) => {
      delete pod.spec.securityContext.seccompProfile;
      pod.spec.containers.push(container("sidecar"));
    },
    baseline: [],
    restricted: [
      'seccompProfile (pod or containers "app", "sidecar" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ],
  },
  {
    check: "seccompProfile_baseline",
    name: "a profile without a type",
    change: (pod) => {
      pod.spec.securityContext.seccompProfile = {};
    },
    baseline: ['seccompProfile (pod must not set securityContext.seccompProfile.type to "")'],
    restricted: ['seccompProfile (pod must not set securityContext.seccompProfile.type to "")'],
  },

  // --- restricted: capabilities_restricted ---
  {
    check: "capabilities_restricted",
    name: "no capabilities",
    change: (pod) => {
      delete app(pod).securityContext.capabilities;
    },
    baseline: [],
    restricted: [
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])',
    ],
  },
  {
    check: "capabilities_restricted",
    name: 'drop without "ALL" (compared exactly: "all" is not "ALL")',
    change: (pod) => {
      app(pod).securityContext.capabilities = { drop: ["NET_RAW", "all"] };
    },
    baseline: [],
    restricted: [
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])',
    ],
  },
  {
    check: "capabilities_restricted",
    name: "missing drop ALL and adding a capability",
    change: (pod) => {
      app(pod).securityContext.capabilities = { add: ["CHOWN"] };
    },
    baseline: [],
    restricted: [
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "CHOWN" in securityContext.capabilities.add)',
    ],
  },

  // --- restricted: procMount_restricted ---
  {
    check: "procMount_restricted",
    name: "Unmasked in a user namespace passes baseline, not restricted",
    change: (pod) => {
      pod.spec.hostUsers = false;
      app(pod).securityContext.procMount = "Unmasked";
    },
    baseline: [],
    restricted: ['procMount (container "app" must not set securityContext.procMount to "Unmasked")'],
  },
];

describe("podSecurityViolations: each check", () => {
  it("the restricted pod the cases start from passes every level", () => {
    expect(levels(restrictedPod())).toEqual({ privileged: [], baseline: [], restricted: [] });
  });

  it.each(CASES.map((c) => [`${c.check}: ${c.name}`, c] as const))("%s", (_name, c) => {
    const pod = restrictedPod();
    c.change(pod);
    expect(levels(pod)).toEqual({ privileged: [], baseline: c.baseline, restricted: c.restricted });
  });

  it("every check has a passing case and a violating case", () => {
    const checks = [
      "windowsHostProcess",
      "hostNamespaces",
      "privileged",
      "capabilities_baseline",
      "hostPathVolumes",
      "hostPorts",
      "hostProbesAndHostLifecycle",
      "appArmorProfile",
      "seLinuxOptions",
      "procMount",
      "seccompProfile_baseline",
      "sysctls",
      "restrictedVolumes",
      "allowPrivilegeEscalation",
      "runAsNonRoot",
      "runAsUser",
      "seccompProfile_restricted",
      "capabilities_restricted",
      "procMount_restricted",
    ];
    expect(new Set(CASES.map((c) => c.check))).toEqual(new Set(checks));
    // the passing case of a restricted check is the restricted pod itself (above) when none is listed
    for (const check of checks) {
      const cases = CASES.filter((c) => c.check === check);
      expect(
        cases.some((c) => c.restricted.length > 0 || c.baseline.length > 0),
        check,
      ).toBe(true);
    }
  });
});

describe("podSecurityViolations: containers", () => {
  it("checks initContainers, containers and ephemeralContainers, naming them in that order", () => {
    const pod = restrictedPod();
    pod.spec.initContainers = [container("init")];
    pod.spec.ephemeralContainers = [container("debug")];
    for (const c of [...pod.spec.initContainers, app(pod), ...pod.spec.ephemeralContainers]) {
      c.securityContext.privileged = true;
    }
    expect(podSecurityViolations(pod, "baseline")).toEqual([
      'privileged (containers "init", "app", "debug" must not set securityContext.privileged=true)',
    ]);
  });

  it("an ephemeral container alone is enough to violate", () => {
    const pod = restrictedPod();
    pod.spec.ephemeralContainers = [{ name: "debug", image: "busybox", securityContext: {} }];
    expect(podSecurityViolations(pod, "baseline")).toEqual([]);
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'allowPrivilegeEscalation != false (container "debug" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "debug" must set securityContext.capabilities.drop=["ALL"])',
    ]);
  });

  it("an init container's host port and probe host count", () => {
    const pod = restrictedPod();
    pod.spec.initContainers = [
      {
        ...container("init"),
        ports: [{ containerPort: 53, hostPort: 53 }],
        livenessProbe: { httpGet: { port: 53, host: "169.254.169.254" } },
      },
    ];
    expect(podSecurityViolations(pod, "baseline")).toEqual([
      'hostPort (container "init" uses hostPort 53)',
      'probe or lifecycle host (container "init" uses probe or lifecycle host "169.254.169.254")',
    ]);
  });
});

describe("podSecurityViolations: container-level settings against pod-level ones", () => {
  it("pod runAsNonRoot true + container runAsNonRoot false violates", () => {
    const pod = restrictedPod();
    app(pod).securityContext.runAsNonRoot = false;
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'runAsNonRoot != true (container "app" must not set securityContext.runAsNonRoot=false)',
    ]);
  });

  it("pod runAsNonRoot false is a violation even when every container sets true", () => {
    const pod = restrictedPod();
    pod.spec.securityContext.runAsNonRoot = false;
    app(pod).securityContext.runAsNonRoot = true;
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)",
    ]);
  });

  it("pod runAsNonRoot unset: only the containers that do not set it are named", () => {
    const pod = restrictedPod();
    delete pod.spec.securityContext.runAsNonRoot;
    app(pod).securityContext.runAsNonRoot = true;
    pod.spec.containers.push(container("sidecar"), container("proxy"));
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'runAsNonRoot != true (pod or containers "sidecar", "proxy" must set securityContext.runAsNonRoot=true)',
    ]);
  });

  it("pod seccomp RuntimeDefault + container without seccomp passes", () => {
    const pod = restrictedPod();
    pod.spec.containers.push(container("sidecar"));
    app(pod).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "app.json" };
    expect(levels(pod)).toEqual({ privileged: [], baseline: [], restricted: [] });
  });

  it("pod seccomp Unconfined is a violation even when every container sets RuntimeDefault", () => {
    const pod = restrictedPod();
    pod.spec.securityContext.seccompProfile = { type: "Unconfined" };
    app(pod).securityContext.seccompProfile = { type: "RuntimeDefault" };
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    ]);
  });

  it("pod seccomp unset: containers without one are named, explicit bad values come first", () => {
    const pod = restrictedPod();
    delete pod.spec.securityContext.seccompProfile;
    app(pod).securityContext.seccompProfile = { type: "RuntimeDefault" };
    pod.spec.containers.push(container("sidecar"));
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'seccompProfile (pod or container "sidecar" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
    const bad = container("bad");
    bad.securityContext.seccompProfile = { type: "Unconfined" };
    pod.spec.containers.push(bad);
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'seccompProfile (container "bad" must not set securityContext.seccompProfile.type to "Unconfined")',
    ]);
  });

  it("pod runAsUser 0 is a violation even when every container sets another user", () => {
    const pod = restrictedPod();
    pod.spec.securityContext.runAsUser = 0;
    app(pod).securityContext.runAsUser = 1000;
    expect(podSecurityViolations(pod, "restricted")).toEqual(["runAsUser=0 (pod must not set runAsUser=0)"]);
  });

  it("pod AppArmor RuntimeDefault + container Unconfined violates, and both levels are named", () => {
    const pod = restrictedPod();
    pod.spec.securityContext.appArmorProfile = { type: "Unconfined" };
    app(pod).securityContext.appArmorProfile = { type: "Unconfined" };
    pod.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
    expect(podSecurityViolations(pod, "baseline")).toEqual([
      'forbidden AppArmor profiles (pod and container "app" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
    ]);
  });

  it("SELinux options at pod and container level are both judged", () => {
    const pod = restrictedPod();
    pod.spec.securityContext.seLinuxOptions = { type: "spc_t" };
    app(pod).securityContext.seLinuxOptions = { type: "unconfined_t", user: "root" };
    expect(podSecurityViolations(pod, "baseline")).toEqual([
      'seLinuxOptions (pod and container "app" set forbidden securityContext.seLinuxOptions: types "spc_t", "unconfined_t"; user may not be set)',
    ]);
  });
});

describe("podSecurityViolations: relaxations", () => {
  it("hostUsers: false relaxes runAsNonRoot, runAsUser and the baseline procMount check", () => {
    const pod = restrictedPod();
    pod.spec.hostUsers = false;
    delete pod.spec.securityContext.runAsNonRoot;
    pod.spec.securityContext.runAsUser = 0;
    app(pod).securityContext.procMount = "Unmasked";
    expect(levels(pod)).toEqual({
      privileged: [],
      baseline: [],
      restricted: ['procMount (container "app" must not set securityContext.procMount to "Unmasked")'],
    });
    pod.spec.hostUsers = true;
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
      'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)',
      "runAsUser=0 (pod must not set runAsUser=0)",
    ]);
  });

  it("a Windows pod skips allowPrivilegeEscalation, capabilities and seccomp at restricted", () => {
    const pod = restrictedPod();
    pod.spec.os = { name: "windows" };
    delete pod.spec.securityContext.seccompProfile;
    app(pod).securityContext = {};
    expect(podSecurityViolations(pod, "restricted")).toEqual([]);
    pod.spec.os = { name: "linux" };
    expect(podSecurityViolations(pod, "restricted")).toEqual([
      'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])',
      'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
  });
});

describe("podSecurityViolations: levels", () => {
  it("a fully restricted-compliant Deployment passes all three levels", () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "team-a" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: {
            labels: { app: "web" },
            annotations: { "container.apparmor.security.beta.kubernetes.io/app": "runtime/default" },
          },
          spec: {
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: "RuntimeDefault" },
              appArmorProfile: { type: "RuntimeDefault" },
              sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
            },
            initContainers: [
              {
                name: "migrate",
                image: "registry.example/web:1.0",
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              },
            ],
            containers: [
              {
                name: "app",
                image: "registry.example/web:1.0",
                ports: [{ containerPort: 80, name: "http" }],
                readinessProbe: { httpGet: { path: "/ready", port: "http" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
                  seLinuxOptions: { type: "container_t" },
                },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            volumes: [
              { name: "tmp", emptyDir: {} },
              { name: "config", configMap: { name: "web" } },
              { name: "token", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
            ],
          },
        },
      },
    };
    expect(levels(deployment)).toEqual({ privileged: [], baseline: [], restricted: [] });
  });

  it("a privileged pod passes only privileged", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "node-agent" },
      spec: {
        hostNetwork: true,
        hostPID: true,
        containers: [
          {
            name: "agent",
            image: "registry.example/agent:1.0",
            securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } },
            volumeMounts: [{ name: "root", mountPath: "/host" }],
          },
        ],
        volumes: [{ name: "root", hostPath: { path: "/" } }],
      },
    };
    expect(levels(pod)).toEqual({
      privileged: [],
      baseline: [
        'non-default capabilities (container "agent" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
        "host namespaces (hostNetwork=true, hostPID=true)",
        'hostPath volumes (volume "root")',
        'privileged (container "agent" must not set securityContext.privileged=true)',
      ],
      restricted: [
        "host namespaces (hostNetwork=true, hostPID=true)",
        'privileged (container "agent" must not set securityContext.privileged=true)',
        'allowPrivilegeEscalation != false (container "agent" must set securityContext.allowPrivilegeEscalation=false)',
        'unrestricted capabilities (container "agent" must set securityContext.capabilities.drop=["ALL"]; container "agent" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
        'restricted volume types (volume "root" uses restricted volume type "hostPath")',
        'runAsNonRoot != true (pod or container "agent" must set securityContext.runAsNonRoot=true)',
        'seccompProfile (pod or container "agent" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
      ],
    });
  });

  it("a minimal pod passes baseline but not restricted", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c" }] },
    };
    expect(levels(pod)).toEqual({
      privileged: [],
      baseline: [],
      restricted: [
        'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)',
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])',
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)',
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
      ],
    });
  });
});

describe("podSecurityViolations: finding the pod", () => {
  const violating = () => {
    const pod = restrictedPod();
    app(pod).securityContext.privileged = true;
    return { metadata: { labels: { app: "web" } }, spec: pod.spec };
  };
  const privilegedLine = 'privileged (container "app" must not set securityContext.privileged=true)';
  const wrap: [string, (template: Fields) => unknown][] = [
    ["Deployment", (t) => ({ apiVersion: "apps/v1", kind: "Deployment", spec: { template: t } })],
    ["StatefulSet", (t) => ({ apiVersion: "apps/v1", kind: "StatefulSet", spec: { template: t } })],
    ["DaemonSet", (t) => ({ apiVersion: "apps/v1", kind: "DaemonSet", spec: { template: t } })],
    ["ReplicaSet", (t) => ({ apiVersion: "apps/v1", kind: "ReplicaSet", spec: { template: t } })],
    [
      "ReplicationController",
      (t) => ({ apiVersion: "v1", kind: "ReplicationController", spec: { template: t } }),
    ],
    ["Job", (t) => ({ apiVersion: "batch/v1", kind: "Job", spec: { template: t } })],
    [
      "CronJob",
      (t) => ({ apiVersion: "batch/v1", kind: "CronJob", spec: { jobTemplate: { spec: { template: t } } } }),
    ],
    ["PodTemplate", (t) => ({ apiVersion: "v1", kind: "PodTemplate", template: t })],
    ["Pod", (t) => ({ apiVersion: "v1", kind: "Pod", ...t })],
    ["a bare pod spec", (t) => t.spec],
  ];

  it.each(wrap)("%s", (_kind, make) => {
    const bad = violating();
    expect(podSecurityViolations(make(bad), "baseline")).toEqual([privilegedLine]);
    const good = { metadata: {}, spec: restrictedPod().spec };
    expect(podSecurityViolations(make(good), "restricted")).toEqual([]);
  });

  it("reads annotations from the pod template, not the workload's own metadata", () => {
    const unconfined = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", annotations: unconfined },
      spec: { template: { metadata: {}, spec: restrictedPod().spec } },
    };
    expect(podSecurityViolations(deployment, "baseline")).toEqual([]);
    deployment.spec.template.metadata = { annotations: unconfined };
    expect(podSecurityViolations(deployment, "baseline")).toEqual([
      'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
    ]);
  });

  it("reads null as unset, as the API server does", () => {
    const pod = restrictedPod();
    Object.assign(app(pod).securityContext, { privileged: null, seccompProfile: null });
    pod.spec.volumes = [{ name: "v", hostPath: null, emptyDir: {} }];
    expect(podSecurityViolations(pod, "restricted")).toEqual([]);
  });

  it("throws on an unknown kind, a workload without a template, and fields of the wrong type", () => {
    expect(() => podSecurityViolations({ kind: "Service", spec: {} }, "baseline")).toThrow(/kind Service/);
    expect(() => podSecurityViolations({ kind: "Deployment", spec: {} }, "baseline")).toThrow(
      /no pod template/,
    );
    expect(() => podSecurityViolations({ kind: "Pod", metadata: {} }, "baseline")).toThrow(/no spec/);
    expect(() => podSecurityViolations({ metadata: {} }, "baseline")).toThrow(/not a pod spec/);
    expect(() => podSecurityViolations("pod", "baseline")).toThrow(/must be an object/);
    const pod = restrictedPod();
    app(pod).securityContext.privileged = "true";
    expect(() => podSecurityViolations(pod, "privileged")).toThrow(
      "pod security: spec.containers[0].securityContext.privileged must be a boolean, got a string",
    );
    const port = restrictedPod();
    app(port).ports = [{ containerPort: 80, hostPort: "80" }];
    expect(() => podSecurityViolations(port, "baseline")).toThrow(
      /spec\.containers\[0\]\.ports\[0\]\.hostPort/,
    );
  });
});
