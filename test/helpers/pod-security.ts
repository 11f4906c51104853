/**
 * Checks a pod (or a workload's pod template) against the Kubernetes Pod Security Standards, the way the
 * Pod Security admission controller does when a namespace enforces a level at version `latest`.
 *
 * Implements the checks of Kubernetes v1.36 (k8s.io/pod-security-admission v0.36.2, policy/check_*.go), in
 * the newest revision each check has at v1.36, with the controller's level rules (policy/registry.go):
 * `privileged` checks nothing; `baseline` runs the baseline checks; `restricted` runs the restricted checks
 * plus every baseline check a restricted one does not override (capabilities_restricted overrides
 * capabilities_baseline, restrictedVolumes overrides hostPathVolumes, seccompProfile_restricted overrides
 * seccompProfile_baseline, procMount_restricted overrides procMount).
 *
 * Baseline: windowsHostProcess, hostNamespaces, privileged, capabilities_baseline, hostPathVolumes,
 * hostPorts, hostProbesAndHostLifecycle (1.34+), appArmorProfile (annotations and the field), seLinuxOptions
 * (container_engine_t allowed since 1.31), procMount (any value when hostUsers is false, 1.35+),
 * seccompProfile_baseline (the field, 1.19+), sysctls (the 1.32 safe set).
 * Restricted: restrictedVolumes, allowPrivilegeEscalation, runAsNonRoot, runAsUser (both relaxed when
 * hostUsers is false, 1.35+), seccompProfile_restricted, capabilities_restricted, procMount_restricted;
 * allowPrivilegeEscalation, seccompProfile_restricted and capabilities_restricted skip pods whose
 * spec.os.name is "windows" (1.25+).
 * Not yet included: the two sysctls (net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat) the
 * unreleased v1.37 policy adds to the safe set.
 *
 * Containers, initContainers and ephemeralContainers are all checked. Where the controller lets a
 * container-level setting stand in for the pod-level one (runAsNonRoot, seccompProfile), it does here too,
 * and a value set explicitly at either level is judged on its own, as the controller judges it.
 *
 * Each violation is one line, the controller's reason and detail: `reason (detail)`, in the controller's
 * order (baseline check IDs sorted, then restricted ones). Input is plain JSON (a Pod, PodTemplate,
 * ReplicationController, ReplicaSet, Deployment, DaemonSet, StatefulSet, Job or CronJob, or a bare pod
 * spec); annotations are read from the pod's own metadata (a template's metadata for a workload). A field of
 * the wrong JSON type, an unknown kind or a workload without a pod template throws: nothing passes unread.
 */

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// The pod, read from JSON into the fields the checks look at (null reads as unset, like Go's decoder)
// ---------------------------------------------------------------------------------------------------------

interface SELinuxOptions {
  type: string;
  user: string;
  role: string;
}

/** The securityContext fields a pod and a container share; undefined when unset. */
interface CommonSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  /** seccompProfile.type; "" when seccompProfile is set without a type. */
  seccompProfileType?: string;
  /** appArmorProfile.type; "" when appArmorProfile is set without a type. */
  appArmorProfileType?: string;
  seLinuxOptions?: SELinuxOptions;
  hostProcess?: boolean;
}

interface ContainerSecurityContext extends CommonSecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  procMount?: string;
  capabilities?: { add: string[]; drop: string[] };
}

interface Container {
  name: string;
  securityContext: ContainerSecurityContext;
  hostPorts: number[];
  /** The non-empty host fields of the probes' and lifecycle handlers' httpGet and tcpSocket. */
  probeAndLifecycleHosts: string[];
}

interface Volume {
  name: string;
  /** The volume source fields that are set. */
  sources: string[];
}

interface Pod {
  annotations: Record<string, string>;
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  hostUsers?: boolean;
  osName?: string;
  securityContext: CommonSecurityContext & { sysctls: string[] };
  volumes: Volume[];
  /** initContainers, containers, then ephemeralContainers: the order the controller visits them in. */
  containers: Container[];
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
}

function field(parent: Json | undefined, key: string): unknown {
  const value = parent?.[key];
  return value === null ? undefined : value;
}

function wrongType(path: string, expected: string, value: unknown): never {
  throw new TypeError(`pod security: ${path} must be ${expected}, got ${typeName(value)}`);
}

function objectAt(parent: Json | undefined, key: string, path: string): Json | undefined {
  const value = field(parent, key);
  if (value === undefined || isObject(value)) return value;
  return wrongType(`${path}.${key}`, "an object", value);
}

function boolAt(parent: Json | undefined, key: string, path: string): boolean | undefined {
  const value = field(parent, key);
  if (value === undefined || typeof value === "boolean") return value;
  return wrongType(`${path}.${key}`, "a boolean", value);
}

function stringAt(parent: Json | undefined, key: string, path: string): string | undefined {
  const value = field(parent, key);
  if (value === undefined || typeof value === "string") return value;
  return wrongType(`${path}.${key}`, "a string", value);
}

function intAt(parent: Json | undefined, key: string, path: string): number | undefined {
  const value = field(parent, key);
  if (value === undefined || Number.isInteger(value)) return value as number | undefined;
  return wrongType(`${path}.${key}`, "an integer", value);
}

function listAt(parent: Json | undefined, key: string, path: string): unknown[] {
  const value = field(parent, key);
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  return wrongType(`${path}.${key}`, "an array", value);
}

function objectsAt(parent: Json | undefined, key: string, path: string): [Json, string][] {
  return listAt(parent, key, path).map((item, i) => {
    const itemPath = `${path}.${key}[${i}]`;
    return [isObject(item) ? item : wrongType(itemPath, "an object", item), itemPath];
  });
}

function stringsAt(parent: Json | undefined, key: string, path: string): string[] {
  return listAt(parent, key, path).map((item, i) =>
    typeof item === "string" ? item : wrongType(`${path}.${key}[${i}]`, "a string", item),
  );
}

function readCommonSecurityContext(sc: Json | undefined, path: string): CommonSecurityContext {
  const seccomp = objectAt(sc, "seccompProfile", path);
  const appArmor = objectAt(sc, "appArmorProfile", path);
  const seLinux = objectAt(sc, "seLinuxOptions", path);
  const windows = objectAt(sc, "windowsOptions", path);
  const seLinuxPath = `${path}.seLinuxOptions`;
  return {
    runAsNonRoot: boolAt(sc, "runAsNonRoot", path),
    runAsUser: intAt(sc, "runAsUser", path),
    seccompProfileType: seccomp && (stringAt(seccomp, "type", `${path}.seccompProfile`) ?? ""),
    appArmorProfileType: appArmor && (stringAt(appArmor, "type", `${path}.appArmorProfile`) ?? ""),
    seLinuxOptions: seLinux && {
      type: stringAt(seLinux, "type", seLinuxPath) ?? "",
      user: stringAt(seLinux, "user", seLinuxPath) ?? "",
      role: stringAt(seLinux, "role", seLinuxPath) ?? "",
    },
    hostProcess: boolAt(windows, "hostProcess", `${path}.windowsOptions`),
  };
}

function readHosts(handler: Json | undefined, path: string): string[] {
  const hosts: string[] = [];
  for (const action of ["httpGet", "tcpSocket"]) {
    const host = stringAt(objectAt(handler, action, path), "host", `${path}.${action}`);
    if (host) hosts.push(host);
  }
  return hosts;
}

function readContainer(c: Json, path: string): Container {
  const scPath = `${path}.securityContext`;
  const sc = objectAt(c, "securityContext", path);
  const caps = objectAt(sc, "capabilities", scPath);
  const lifecyclePath = `${path}.lifecycle`;
  const lifecycle = objectAt(c, "lifecycle", path);
  return {
    name: stringAt(c, "name", path) ?? "",
    securityContext: {
      ...readCommonSecurityContext(sc, scPath),
      privileged: boolAt(sc, "privileged", scPath),
      allowPrivilegeEscalation: boolAt(sc, "allowPrivilegeEscalation", scPath),
      procMount: stringAt(sc, "procMount", scPath),
      capabilities: caps && {
        add: stringsAt(caps, "add", `${scPath}.capabilities`),
        drop: stringsAt(caps, "drop", `${scPath}.capabilities`),
      },
    },
    hostPorts: objectsAt(c, "ports", path).map(([port, portPath]) => intAt(port, "hostPort", portPath) ?? 0),
    probeAndLifecycleHosts: [
      ...["livenessProbe", "readinessProbe", "startupProbe"].flatMap((probe) =>
        readHosts(objectAt(c, probe, path), `${path}.${probe}`),
      ),
      ...["postStart", "preStop"].flatMap((hook) =>
        readHosts(objectAt(lifecycle, hook, lifecyclePath), `${lifecyclePath}.${hook}`),
      ),
    ],
  };
}

function readPod(metadata: Json | undefined, spec: Json, metadataPath: string, path: string): Pod {
  const annotations: Record<string, string> = {};
  const annotationsJson = objectAt(metadata, "annotations", metadataPath);
  for (const key of Object.keys(annotationsJson ?? {})) {
    annotations[key] = stringAt(annotationsJson, key, `${metadataPath}.annotations`) ?? "";
  }
  const scPath = `${path}.securityContext`;
  const sc = objectAt(spec, "securityContext", path);
  return {
    annotations,
    hostNetwork: boolAt(spec, "hostNetwork", path) === true,
    hostPID: boolAt(spec, "hostPID", path) === true,
    hostIPC: boolAt(spec, "hostIPC", path) === true,
    hostUsers: boolAt(spec, "hostUsers", path),
    osName: stringAt(objectAt(spec, "os", path), "name", `${path}.os`),
    securityContext: {
      ...readCommonSecurityContext(sc, scPath),
      sysctls: objectsAt(sc, "sysctls", scPath).map(([s, sPath]) => stringAt(s, "name", sPath) ?? ""),
    },
    volumes: objectsAt(spec, "volumes", path).map(([v, vPath]) => ({
      name: stringAt(v, "name", vPath) ?? "",
      sources: Object.keys(v).filter((key) => key !== "name" && field(v, key) !== undefined),
    })),
    containers: ["initContainers", "containers", "ephemeralContainers"].flatMap((list) =>
      objectsAt(spec, list, path).map(([c, cPath]) => readContainer(c, cPath)),
    ),
  };
}

/** Where each kind keeps its pod template (policy's admission.go, DefaultPodSpecExtractor). */
const TEMPLATE_PATHS: Record<string, string[]> = {
  PodTemplate: ["template"],
  ReplicationController: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Deployment: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

function findPod(object: unknown): Pod {
  if (!isObject(object)) return wrongType("the object", "an object", object);
  const kind = stringAt(object, "kind", "object");
  if (kind === undefined) {
    if (Array.isArray(object.containers)) return readPod(undefined, object, "metadata", "spec");
    throw new TypeError("pod security: the object has no kind and is not a pod spec (no containers)");
  }
  if (kind === "Pod") {
    const spec = objectAt(object, "spec", "Pod");
    if (!spec) throw new TypeError("pod security: the Pod has no spec");
    return readPod(objectAt(object, "metadata", "Pod"), spec, "metadata", "spec");
  }
  const templatePath = TEMPLATE_PATHS[kind];
  if (!templatePath) throw new TypeError(`pod security: kind ${kind} has no pod template this helper knows`);
  let template: Json | undefined = object;
  let path = kind;
  for (const key of templatePath) {
    template = objectAt(template, key, path);
    path = `${path}.${key}`;
  }
  const spec = objectAt(template, "spec", path);
  if (!spec) throw new TypeError(`pod security: the ${kind} has no pod template (${path}.spec)`);
  return readPod(objectAt(template, "metadata", path), spec, `${path}.metadata`, `${path}.spec`);
}

// ---------------------------------------------------------------------------------------------------------
// Message helpers (policy/helpers.go)
// ---------------------------------------------------------------------------------------------------------

interface Violation {
  reason: string;
  detail: string;
}

function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? "" : `"${items.join('", "')}"`;
}

function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

function containersPhrase(names: readonly string[]): string {
  return `${pluralize("container", "containers", names.length)} ${joinQuote(names)}`;
}

/** A sorted, de-duplicated copy, like Go's sets.List. */
function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Go's %q for the plain strings annotations hold. */
function quote(value: string): string {
  return JSON.stringify(value);
}

/** The user-namespace relaxation (hostUsers: false). */
function inUserNamespace(pod: Pod): boolean {
  return pod.hostUsers === false;
}

function isWindows(pod: Pod): boolean {
  return pod.osName === "windows";
}

// ---------------------------------------------------------------------------------------------------------
// Baseline checks
// ---------------------------------------------------------------------------------------------------------

/** check_windowsHostProcess.go, windowsHostProcess_1_0 */
function windowsHostProcess(pod: Pod): Violation | undefined {
  const setters: string[] = [];
  if (pod.securityContext.hostProcess === true) setters.push("pod");
  const bad = pod.containers.filter((c) => c.securityContext.hostProcess === true).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return undefined;
  return {
    reason: "hostProcess",
    detail: `${setters.join(" and ")} must not set securityContext.windowsOptions.hostProcess=true`,
  };
}

/** check_hostNamespaces.go, hostNamespaces_1_0 */
function hostNamespaces(pod: Pod): Violation | undefined {
  const set: string[] = [];
  if (pod.hostNetwork) set.push("hostNetwork=true");
  if (pod.hostPID) set.push("hostPID=true");
  if (pod.hostIPC) set.push("hostIPC=true");
  return set.length > 0 ? { reason: "host namespaces", detail: set.join(", ") } : undefined;
}

/** check_privileged.go, privileged_1_0 */
function privileged(pod: Pod): Violation | undefined {
  const bad = pod.containers.filter((c) => c.securityContext.privileged === true).map((c) => c.name);
  if (bad.length === 0) return undefined;
  return {
    reason: "privileged",
    detail: `${containersPhrase(bad)} must not set securityContext.privileged=true`,
  };
}

const BASELINE_CAPABILITIES = new Set([
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
]);

/** check_capabilities_baseline.go, capabilitiesBaseline_1_0 */
function capabilitiesBaseline(pod: Pod): Violation | undefined {
  const bad: string[] = [];
  const added: string[] = [];
  for (const c of pod.containers) {
    const forbidden = (c.securityContext.capabilities?.add ?? []).filter(
      (cap) => !BASELINE_CAPABILITIES.has(cap),
    );
    if (forbidden.length > 0) {
      bad.push(c.name);
      added.push(...forbidden);
    }
  }
  if (bad.length === 0) return undefined;
  return {
    reason: "non-default capabilities",
    detail: `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(added))} in securityContext.capabilities.add`,
  };
}

/** check_hostPathVolumes.go, hostPathVolumes_1_0 */
function hostPathVolumes(pod: Pod): Violation | undefined {
  const bad = pod.volumes.filter((v) => v.sources.includes("hostPath")).map((v) => v.name);
  if (bad.length === 0) return undefined;
  return {
    reason: "hostPath volumes",
    detail: `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)}`,
  };
}

/** check_hostPorts.go, hostPorts_1_0 */
function hostPorts(pod: Pod): Violation | undefined {
  const bad: string[] = [];
  const ports: string[] = [];
  for (const c of pod.containers) {
    const set = c.hostPorts.filter((port) => port !== 0);
    if (set.length > 0) {
      bad.push(c.name);
      ports.push(...set.map(String));
    }
  }
  if (bad.length === 0) return undefined;
  const sortedPorts = sortedSet(ports); // sorted as strings, as the controller sorts them
  return {
    reason: "hostPort",
    detail: `${containersPhrase(bad)} ${pluralize("uses", "use", bad.length)} ${pluralize("hostPort", "hostPorts", sortedPorts.length)} ${sortedPorts.join(", ")}`,
  };
}

/** check_hostProbesAndhostLifecycle.go, hostProbesAndHostLifecycleV1Dot34 */
function hostProbesAndHostLifecycle(pod: Pod): Violation | undefined {
  const bad = sortedSet(pod.containers.filter((c) => c.probeAndLifecycleHosts.length > 0).map((c) => c.name));
  if (bad.length === 0) return undefined;
  const hosts = sortedSet(pod.containers.flatMap((c) => c.probeAndLifecycleHosts));
  return {
    reason: "probe or lifecycle host",
    detail: `${containersPhrase(bad)} ${pluralize("uses", "use", bad.length)} ${pluralize("probe or lifecycle host", "probe or lifecycle hosts", hosts.length)} ${joinQuote(hosts)}`,
  };
}

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

/** check_appArmorProfile.go, appArmorProfile_1_0 */
function appArmorProfile(pod: Pod): Violation | undefined {
  const allowedType = (type: string | undefined) =>
    type === undefined || type === "RuntimeDefault" || type === "Localhost";
  const setters: string[] = [];
  const badTypes: string[] = [];
  if (!allowedType(pod.securityContext.appArmorProfileType)) {
    setters.push("pod");
    badTypes.push(pod.securityContext.appArmorProfileType ?? "");
  }
  const bad = pod.containers.filter((c) => !allowedType(c.securityContext.appArmorProfileType));
  if (bad.length > 0) {
    setters.push(containersPhrase(bad.map((c) => c.name)));
    badTypes.push(...bad.map((c) => c.securityContext.appArmorProfileType ?? ""));
  }
  const badAnnotations = Object.entries(pod.annotations)
    .filter(([key]) => key.startsWith(APPARMOR_ANNOTATION_PREFIX))
    .filter(([, value]) => !(value === "" || value === "runtime/default" || value.startsWith("localhost/")))
    .map(([key, value]) => `${key}=${quote(value)}`)
    .sort();
  const badValues = [...sortedSet(badTypes), ...badAnnotations];
  if (badAnnotations.length > 0) setters.push(pluralize("annotation", "annotations", badAnnotations.length));
  if (setters.length === 0) return undefined;
  return {
    reason: pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", badValues.length),
    detail: `${setters.join(" and ")} must not set AppArmor profile type to ${joinQuote(badValues)}`,
  };
}

const SELINUX_TYPES = new Set([
  "",
  "container_t",
  "container_init_t",
  "container_kvm_t",
  "container_engine_t",
]);

/** check_seLinuxOptions.go, seLinuxOptions1_31 */
function seLinuxOptions(pod: Pod): Violation | undefined {
  const badTypes: string[] = [];
  let setUser = false;
  let setRole = false;
  const check = (opts: SELinuxOptions | undefined): boolean => {
    if (!opts) return true;
    let ok = true;
    if (!SELINUX_TYPES.has(opts.type)) {
      ok = false;
      badTypes.push(opts.type);
    }
    if (opts.user.length > 0) {
      ok = false;
      setUser = true;
    }
    if (opts.role.length > 0) {
      ok = false;
      setRole = true;
    }
    return ok;
  };
  const setters: string[] = [];
  if (!check(pod.securityContext.seLinuxOptions)) setters.push("pod");
  const bad = pod.containers.filter((c) => !check(c.securityContext.seLinuxOptions)).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return undefined;
  const data: string[] = [];
  const types = sortedSet(badTypes);
  if (types.length > 0) data.push(`${pluralize("type", "types", types.length)} ${joinQuote(types)}`);
  if (setUser) data.push("user may not be set");
  if (setRole) data.push("role may not be set");
  return {
    reason: "seLinuxOptions",
    detail: `${setters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}`,
  };
}

/** check_procMount_baseline.go, procMount_1_0 (also check_procMount_restricted.go) */
function procMountUnmasked(pod: Pod): Violation | undefined {
  const bad = pod.containers.filter(
    (c) => c.securityContext.procMount !== undefined && c.securityContext.procMount !== "Default",
  );
  if (bad.length === 0) return undefined;
  const types = sortedSet(bad.map((c) => c.securityContext.procMount ?? ""));
  return {
    reason: "procMount",
    detail: `${containersPhrase(bad.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(types)}`,
  };
}

/** check_procMount_baseline.go, procMount1_35baseline */
function procMountBaseline(pod: Pod): Violation | undefined {
  return inUserNamespace(pod) ? undefined : procMountUnmasked(pod);
}

function validSeccomp(type: string): boolean {
  return type === "RuntimeDefault" || type === "Localhost";
}

/** The pod or containers that set seccompProfile.type to something else than RuntimeDefault or Localhost. */
function badSeccompSetters(pod: Pod): Violation | undefined {
  const setters: string[] = [];
  const badTypes: string[] = [];
  const podType = pod.securityContext.seccompProfileType;
  if (podType !== undefined && !validSeccomp(podType)) {
    setters.push("pod");
    badTypes.push(podType);
  }
  const bad: string[] = [];
  for (const c of pod.containers) {
    const type = c.securityContext.seccompProfileType;
    if (type !== undefined && !validSeccomp(type)) {
      bad.push(c.name);
      badTypes.push(type);
    }
  }
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return undefined;
  return {
    reason: "seccompProfile",
    detail: `${setters.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badTypes))}`,
  };
}

/** check_seccompProfile_baseline.go, seccompProfileBaseline_1_19 */
function seccompProfileBaseline(pod: Pod): Violation | undefined {
  return badSeccompSetters(pod);
}

const SAFE_SYSCTLS = new Set([
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
]);

/** check_sysctls.go, sysctlsV1Dot32 */
function sysctls(pod: Pod): Violation | undefined {
  const bad = pod.securityContext.sysctls.filter((name) => !SAFE_SYSCTLS.has(name));
  return bad.length > 0 ? { reason: "forbidden sysctls", detail: bad.join(", ") } : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Restricted checks
// ---------------------------------------------------------------------------------------------------------

/** check_allowPrivilegeEscalation.go, allowPrivilegeEscalation_1_25 */
function allowPrivilegeEscalation(pod: Pod): Violation | undefined {
  if (isWindows(pod)) return undefined;
  const bad = pod.containers
    .filter((c) => c.securityContext.allowPrivilegeEscalation !== false)
    .map((c) => c.name);
  if (bad.length === 0) return undefined;
  return {
    reason: "allowPrivilegeEscalation != false",
    detail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`,
  };
}

/** check_capabilities_restricted.go, capabilitiesRestricted_1_25 */
function capabilitiesRestricted(pod: Pod): Violation | undefined {
  if (isWindows(pod)) return undefined;
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbidden: string[] = [];
  for (const c of pod.containers) {
    const caps = c.securityContext.capabilities;
    if (!caps) {
      missingDropAll.push(c.name);
      continue;
    }
    if (!caps.drop.includes("ALL")) missingDropAll.push(c.name);
    const added = caps.add.filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) {
      addingForbidden.push(c.name);
      forbidden.push(...added);
    }
  }
  const details: string[] = [];
  if (missingDropAll.length > 0) {
    details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  }
  if (addingForbidden.length > 0) {
    details.push(
      `${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbidden))} in securityContext.capabilities.add`,
    );
  }
  return details.length > 0 ? { reason: "unrestricted capabilities", detail: details.join("; ") } : undefined;
}

/** The volume sources the restricted level allows (check_restrictedVolumes.go). */
const ALLOWED_VOLUME_SOURCES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** The restricted volume sources, in the order the controller names the first one a volume sets. */
const RESTRICTED_VOLUME_SOURCES = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "storageos",
];

/** check_restrictedVolumes.go, restrictedVolumes_1_0 */
function restrictedVolumes(pod: Pod): Violation | undefined {
  const bad: string[] = [];
  const types: string[] = [];
  for (const v of pod.volumes) {
    if (v.sources.some((source) => ALLOWED_VOLUME_SOURCES.has(source))) continue;
    bad.push(v.name);
    types.push(RESTRICTED_VOLUME_SOURCES.find((source) => v.sources.includes(source)) ?? "unknown");
  }
  if (bad.length === 0) return undefined;
  const sortedTypes = sortedSet(types);
  return {
    reason: "restricted volume types",
    detail: `${pluralize("volume", "volumes", bad.length)} ${joinQuote(bad)} ${pluralize("uses", "use", bad.length)} ${pluralize("restricted volume type", "restricted volume types", sortedTypes.length)} ${joinQuote(sortedTypes)}`,
  };
}

/** check_runAsNonRoot.go, runAsNonRoot1_35 */
function runAsNonRoot(pod: Pod): Violation | undefined {
  if (inUserNamespace(pod)) return undefined;
  const reason = "runAsNonRoot != true";
  const setters: string[] = [];
  const podValue = pod.securityContext.runAsNonRoot;
  if (podValue === false) setters.push("pod");
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  for (const c of pod.containers) {
    const value = c.securityContext.runAsNonRoot;
    if (value === false) explicitlyBad.push(c.name);
    else if (value === undefined && podValue !== true) implicitlyBad.push(c.name);
  }
  if (explicitlyBad.length > 0) setters.push(containersPhrase(explicitlyBad));
  if (setters.length > 0) {
    return { reason, detail: `${setters.join(" and ")} must not set securityContext.runAsNonRoot=false` };
  }
  if (implicitlyBad.length > 0) {
    return {
      reason,
      detail: `pod or ${containersPhrase(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
    };
  }
  return undefined;
}

/** check_runAsUser.go, runAsUser1_35 */
function runAsUser(pod: Pod): Violation | undefined {
  if (inUserNamespace(pod)) return undefined;
  const setters: string[] = [];
  if (pod.securityContext.runAsUser === 0) setters.push("pod");
  const bad = pod.containers.filter((c) => c.securityContext.runAsUser === 0).map((c) => c.name);
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return undefined;
  return { reason: "runAsUser=0", detail: `${setters.join(" and ")} must not set runAsUser=0` };
}

/** check_seccompProfile_restricted.go, seccompProfileRestricted_1_25 */
function seccompProfileRestricted(pod: Pod): Violation | undefined {
  if (isWindows(pod)) return undefined;
  const explicit = badSeccompSetters(pod);
  if (explicit) return explicit;
  const podType = pod.securityContext.seccompProfileType;
  const podSet = podType !== undefined && validSeccomp(podType);
  const implicitlyBad = pod.containers
    .filter((c) => c.securityContext.seccompProfileType === undefined && !podSet)
    .map((c) => c.name);
  if (implicitlyBad.length === 0) return undefined;
  return {
    reason: "seccompProfile",
    detail: `pod or ${containersPhrase(implicitlyBad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
  };
}

/** check_procMount_restricted.go (procMount_1_0, whatever hostUsers says) */
function procMountRestricted(pod: Pod): Violation | undefined {
  return procMountUnmasked(pod);
}

// ---------------------------------------------------------------------------------------------------------
// The levels (policy/registry.go): baseline check IDs sorted, then restricted ones; overrides dropped
// ---------------------------------------------------------------------------------------------------------

interface Check {
  id: string;
  level: "baseline" | "restricted";
  run: (pod: Pod) => Violation | undefined;
  /** Baseline checks this restricted check replaces at the restricted level. */
  overrides?: string[];
}

const CHECKS: Check[] = [
  { id: "appArmorProfile", level: "baseline", run: appArmorProfile },
  { id: "capabilities_baseline", level: "baseline", run: capabilitiesBaseline },
  { id: "hostNamespaces", level: "baseline", run: hostNamespaces },
  { id: "hostPathVolumes", level: "baseline", run: hostPathVolumes },
  { id: "hostPorts", level: "baseline", run: hostPorts },
  { id: "hostProbesAndHostLifecycle", level: "baseline", run: hostProbesAndHostLifecycle },
  { id: "privileged", level: "baseline", run: privileged },
  { id: "procMount", level: "baseline", run: procMountBaseline },
  { id: "seLinuxOptions", level: "baseline", run: seLinuxOptions },
  { id: "seccompProfile_baseline", level: "baseline", run: seccompProfileBaseline },
  { id: "sysctls", level: "baseline", run: sysctls },
  { id: "windowsHostProcess", level: "baseline", run: windowsHostProcess },
  { id: "allowPrivilegeEscalation", level: "restricted", run: allowPrivilegeEscalation },
  {
    id: "capabilities_restricted",
    level: "restricted",
    run: capabilitiesRestricted,
    overrides: ["capabilities_baseline"],
  },
  { id: "procMount_restricted", level: "restricted", run: procMountRestricted, overrides: ["procMount"] },
  { id: "restrictedVolumes", level: "restricted", run: restrictedVolumes, overrides: ["hostPathVolumes"] },
  { id: "runAsNonRoot", level: "restricted", run: runAsNonRoot },
  { id: "runAsUser", level: "restricted", run: runAsUser },
  {
    id: "seccompProfile_restricted",
    level: "restricted",
    run: seccompProfileRestricted,
    overrides: ["seccompProfile_baseline"],
  },
];

function checksFor(level: PodSecurityLevel): Check[] {
  if (level === "privileged") return [];
  if (level === "baseline") return CHECKS.filter((c) => c.level === "baseline");
  const overridden = new Set(CHECKS.flatMap((c) => c.overrides ?? []));
  return CHECKS.filter((c) => !overridden.has(c.id));
}

/**
 * The Pod Security Standards violations of `object` (a Pod, a workload with a pod template, or a bare pod
 * spec, as plain JSON) at `level`: one line per failed check, `reason (detail)` as the admission controller
 * words it, e.g. `allowPrivilegeEscalation != false (container "app" must set
 * securityContext.allowPrivilegeEscalation=false)`; [] when the object passes.
 */
export function podSecurityViolations(object: unknown, level: PodSecurityLevel): string[] {
  const pod = findPod(object);
  return checksFor(level).flatMap((check) => {
    const violation = check.run(pod);
    if (!violation) return [];
    return [violation.detail ? `${violation.reason} (${violation.detail})` : violation.reason];
  });
}
