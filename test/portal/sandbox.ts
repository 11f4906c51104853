/**
 * A sandbox to run a setup script in: HOME a temp dir, PATH restricted to stubs (kubectl, the OIDC plugin,
 * uname, curl, unzip) and the few real tools the script needs. The stub curl records its arguments and serves
 * fixed files: nothing reaches the network.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The real tools the script may use besides the stubs. */
const TOOLS = ["mktemp", "rm", "mkdir", "chmod", "mv", "cp", "cmp", "date", "sha256sum"];
export const STUB_BINARY = "stub-binary\n";
const STUB_SHA = createHash("sha256").update(STUB_BINARY).digest("hex");

const STUBS: Record<string, string> = {
  uname: `#!/bin/sh
case "$1" in -s) echo "\${STUB_OS:-Linux}" ;; -m) echo "\${STUB_ARCH:-x86_64}" ;; *) exit 2 ;; esac
`,
  curl: `#!/bin/sh
printf '%s\\n' "$*" >>"$CURL_LOG"
out= url=
while [ $# -gt 0 ]; do
  case "$1" in -o) out=$2; shift 2 ;; -*) shift ;; *) url=$1; shift ;; esac
done
case "$url" in
  */stable.txt) printf 'v1.31.0\\n' >"$out" ;;
  *_SHA256SUMS)
    v=\${url##*/vault_}; v=\${v%_SHA256SUMS}
    for p in linux_amd64 linux_arm64 linux_arm darwin_amd64 darwin_arm64; do
      printf '%s  %s\\n' "\${STUB_VAULT_SHA:-$STUB_SHA}" "vault_\${v}_\${p}.zip" >>"$out"
    done ;;
  *.sha256) printf '%s  %s\\n' "$STUB_SHA" "\${url##*/}" >"$out" ;;
  *) printf 'stub-binary\\n' >"$out" ;;
esac
`,
  unzip: `#!/bin/sh
while [ $# -gt 0 ]; do case "$1" in -d) dir=$2; shift 2 ;; *) shift ;; esac; done
printf 'kubelogin\\n' >"$dir/kubelogin"
printf 'vault\\n' >"$dir/vault"
`,
  kubectl: "#!/bin/sh\nexit 0\n",
  "kubectl-oidc_login": "#!/bin/sh\nexit 0\n",
  vault: "#!/bin/sh\nexit 0\n",
};

let dirs: string[] = [];
/** Removes the sandboxes made so far (afterEach). */
export function removeSandboxes(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
}

export interface Sandbox {
  root: string;
  home: string;
  bin: string;
  script: string;
  curlLog: string;
  run: (shell?: string, env?: Record<string, string>) => { code: number; stdout: string; stderr: string };
  curls: () => string[];
}

/** A temp HOME, a PATH of stubs (without `missing`) and real tools, and the script of `tenant`. */
export function sandbox(script: string, opts: { missing?: string[] } = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "tenancy-setup-"));
  dirs.push(root);
  const home = join(root, "home");
  const bin = join(root, "bin");
  mkdirSync(home);
  mkdirSync(bin);
  for (const [name, text] of Object.entries(STUBS)) {
    if (opts.missing?.includes(name)) continue;
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  for (const tool of TOOLS) {
    const real = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!real) throw new Error(`no ${tool} on this machine`);
    symlinkSync(real, join(bin, tool));
  }
  const path = join(root, "setup.sh");
  writeFileSync(path, script);
  const curlLog = join(root, "curl.log");
  return {
    home,
    bin,
    root,
    script: path,
    curlLog,
    run: (shell = "/bin/sh", env = {}) => {
      const r = spawnSync(shell, [path], {
        cwd: root,
        // only what is set here: no KUBECTL_VERSION or proxy of the machine running the tests
        env: { PATH: bin, HOME: home, CURL_LOG: curlLog, STUB_SHA, ...env },
        encoding: "utf8",
        timeout: 30_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    curls: () => (existsSync(curlLog) ? readFileSync(curlLog, "utf8").trim().split("\n") : []),
  };
}
