/**
 * A tenant's setup script: installs kubectl, the OIDC login plugin (kubelogin) and the Vault CLI (the portal's
 * Vault commands, CI logins) when they are missing, from
 * their official release URLs, checksums verified, and writes the tenant's kubeconfig (policy/kubeconfig.ts,
 * the same as `tenancy kubeconfig`) without ever overwriting an existing one. POSIX sh, `set -eu`; every
 * registry or environment value is single-quoted (portal/shell.ts).
 */
import { stringify } from "yaml";
import { tenantKubeconfig } from "../policy/kubeconfig";
import type { RegistryModel } from "../registry/model";
import { UsageError } from "../components/core/problems";
import { type Provenance, describeProvenance } from "./provenance";
import { shellQuote } from "./shell";

/** The official download locations (README, "Portal"). */
export const KUBECTL_RELEASES = "https://dl.k8s.io/release";
export const KUBELOGIN_RELEASES = "https://github.com/int128/kubelogin/releases";
export const VAULT_RELEASES = "https://releases.hashicorp.com/vault";
/** The Vault CLI release installed unless VAULT_VERSION says another (HashiCorp publishes no "stable" pointer). */
export const VAULT_CLI_VERSION = "1.18.1";

/** The kubeconfig file a tenant gets: the YAML `tenancy kubeconfig` prints. */
export function kubeconfigYaml(model: RegistryModel, tenantId: string): string {
  return stringify(tenantKubeconfig(model, tenantId));
}

export function setupScript(model: RegistryModel, tenantId: string, provenance?: Provenance): string {
  const tenant = model.tenants.find((t) => t.id === tenantId);
  if (!tenant) throw new UsageError(`no such tenant: ${tenantId}`);
  const config = tenantKubeconfig(model, tenantId);
  const yaml = stringify(config);
  const q = shellQuote;
  // a comment line holds no newline: the provenance is made of ids and a commit hash, and is cut at one anyway
  const generated = provenance ? `# ${describeProvenance(provenance).replace(/[\r\n]/g, " ")}\n` : "";
  return `#!/bin/sh
# tenancy: set up kubectl access for one tenant.
${generated}# Installs kubectl and the OIDC login plugin (kubelogin, as kubectl-oidc_login) when they are missing,
# then writes your kubeconfig. It holds no secret: kubectl opens your browser to log in the first time.
# It never overwrites an existing kubeconfig: if ~/.kube/config exists, it writes a file of its own beside
# it and says how to use or merge it.
#   TENANCY_BIN_DIR    where to install missing tools (default: ~/.local/bin)
#   KUBECTL_VERSION    kubectl release to install (default: the current stable release)
#   KUBELOGIN_VERSION  kubelogin release to install (default: the latest release)
#   VAULT_VERSION      Vault CLI release to install (default: ${VAULT_CLI_VERSION})
set -eu

TENANT=${q(tenant.id)}
TENANT_NAME=${q(tenant.displayName ?? tenant.id)}
ENVIRONMENT=${q(model.environment.name)}
CONTEXT=${q(String(config["current-context"]))}
KUBECONFIG_CONTENT=${q(yaml)}

KUBECTL_RELEASES=${q(KUBECTL_RELEASES)}
KUBELOGIN_RELEASES=${q(KUBELOGIN_RELEASES)}
VAULT_RELEASES=${q(VAULT_RELEASES)}
VAULT_DEFAULT_VERSION=${q(VAULT_CLI_VERSION)}
BIN_DIR="\${TENANCY_BIN_DIR:-$HOME/.local/bin}"
KUBE_DIR="$HOME/.kube"

say() { printf '%s\\n' "$*"; }
die() {
  printf 'setup: %s\\n' "$*" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the download names of this machine: linux or darwin; amd64, arm64 or arm
platform() {
  kernel=$(uname -s)
  machine=$(uname -m)
  case "$kernel" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "unsupported operating system $kernel: install kubectl and kubelogin yourself, then run this again" ;;
  esac
  case "$machine" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    armv7l | armv6l | arm) arch=arm ;;
    *) die "unsupported architecture $machine: install kubectl and kubelogin yourself, then run this again" ;;
  esac
}

fetch() {
  command -v curl >/dev/null 2>&1 || die "curl is needed to download $1"
  curl -fsSL --retry 3 -o "$2" "$1" || die "could not download $1"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum "$1")
  elif command -v shasum >/dev/null 2>&1; then
    sum=$(shasum -a 256 "$1")
  else
    die "neither sha256sum nor shasum found: cannot verify $1"
  fi
  printf '%s\\n' "\${sum%% *}"
}

# the file against the first word of its published .sha256 file
verify() {
  expected=
  read -r expected _rest <"$2" || true
  actual=$(sha256_of "$1")
  [ -n "$expected" ] && [ "$actual" = "$expected" ] || die "checksum mismatch for $3: not installed"
}

valid_version() {
  case "$1" in
    v[0-9]*) ;;
    *) die "unexpected version $1: expected v<major>.<minor>.<patch>" ;;
  esac
  case "$1" in
    *[!A-Za-z0-9.+-]*) die "unexpected version $1: expected v<major>.<minor>.<patch>" ;;
  esac
}

install_kubectl() {
  version="\${KUBECTL_VERSION:-}"
  if [ -z "$version" ]; then
    fetch "$KUBECTL_RELEASES/stable.txt" "$tmp/stable.txt"
    read -r version <"$tmp/stable.txt" || true
  fi
  valid_version "$version"
  url="$KUBECTL_RELEASES/$version/bin/$os/$arch/kubectl"
  say "Installing kubectl $version ($os/$arch) into $BIN_DIR"
  fetch "$url" "$tmp/kubectl"
  fetch "$url.sha256" "$tmp/kubectl.sha256"
  verify "$tmp/kubectl" "$tmp/kubectl.sha256" kubectl
  chmod 755 "$tmp/kubectl"
  mv "$tmp/kubectl" "$BIN_DIR/kubectl"
}

install_kubelogin() {
  if [ -n "\${KUBELOGIN_VERSION:-}" ]; then
    valid_version "$KUBELOGIN_VERSION"
    base="$KUBELOGIN_RELEASES/download/$KUBELOGIN_VERSION"
  else
    base="$KUBELOGIN_RELEASES/latest/download"
  fi
  zip="kubelogin_\${os}_\${arch}.zip"
  say "Installing kubelogin ($os/$arch) into $BIN_DIR as kubectl-oidc_login"
  fetch "$base/$zip" "$tmp/$zip"
  fetch "$base/$zip.sha256" "$tmp/$zip.sha256"
  verify "$tmp/$zip" "$tmp/$zip.sha256" kubelogin
  command -v unzip >/dev/null 2>&1 || die "unzip is needed to unpack $zip"
  mkdir -p "$tmp/kubelogin"
  unzip -q -o "$tmp/$zip" -d "$tmp/kubelogin"
  for name in kubelogin kubectl-oidc_login; do
    if [ -f "$tmp/kubelogin/$name" ]; then
      chmod 755 "$tmp/kubelogin/$name"
      mv "$tmp/kubelogin/$name" "$BIN_DIR/kubectl-oidc_login"
      return 0
    fi
  done
  die "$zip holds no kubelogin binary"
}

# HashiCorp's release: a zip and one SHA256SUMS file listing every platform's zip
install_vault() {
  version="\${VAULT_VERSION:-$VAULT_DEFAULT_VERSION}"
  valid_version "v$version"
  zip="vault_\${version}_\${os}_\${arch}.zip"
  base="$VAULT_RELEASES/$version"
  say "Installing the Vault CLI $version ($os/$arch) into $BIN_DIR"
  fetch "$base/$zip" "$tmp/$zip"
  fetch "$base/vault_\${version}_SHA256SUMS" "$tmp/vault.sums"
  : >"$tmp/vault.sha256"
  while read -r sum name; do
    if [ "$name" = "$zip" ]; then printf '%s  %s\n' "$sum" "$name" >"$tmp/vault.sha256"; fi
  done <"$tmp/vault.sums"
  verify "$tmp/$zip" "$tmp/vault.sha256" vault
  command -v unzip >/dev/null 2>&1 || die "unzip is needed to unpack $zip"
  mkdir -p "$tmp/vault"
  unzip -q -o "$tmp/$zip" -d "$tmp/vault"
  [ -f "$tmp/vault/vault" ] || die "$zip holds no vault binary"
  chmod 755 "$tmp/vault/vault"
  mv "$tmp/vault/vault" "$BIN_DIR/vault"
}

say "Setting up kubectl access for $TENANT_NAME (tenant $TENANT, environment $ENVIRONMENT)"

path_note=
case ":$PATH:" in
  *":$BIN_DIR:"*) ;;
  *)
    PATH="$BIN_DIR:$PATH"
    path_note=1
    ;;
esac

if command -v kubectl >/dev/null 2>&1; then
  say "kubectl: $(command -v kubectl)"
else
  platform
  mkdir -p "$BIN_DIR"
  install_kubectl
fi
if command -v kubectl-oidc_login >/dev/null 2>&1; then
  say "OIDC login plugin: $(command -v kubectl-oidc_login)"
else
  platform
  mkdir -p "$BIN_DIR"
  install_kubelogin
fi
if command -v vault >/dev/null 2>&1; then
  say "Vault CLI: $(command -v vault)"
else
  platform
  mkdir -p "$BIN_DIR"
  install_vault
fi

# the kubeconfig: only readable by you, never written over an existing one
umask 077
mkdir -p "$KUBE_DIR"
printf '%s' "$KUBECONFIG_CONTENT" >"$tmp/kubeconfig"
config="$KUBE_DIR/config"
own="$KUBE_DIR/tenancy-$ENVIRONMENT-$TENANT.yaml"
if [ ! -e "$config" ]; then
  cp "$tmp/kubeconfig" "$config"
  say "Wrote $config"
elif cmp -s "$tmp/kubeconfig" "$config"; then
  say "$config is up to date"
else
  if [ -e "$own" ] && ! cmp -s "$tmp/kubeconfig" "$own"; then
    backup="$own.$(date +%Y%m%d%H%M%S).bak"
    cp "$own" "$backup"
    say "Kept the previous $own as $backup"
  fi
  cp "$tmp/kubeconfig" "$own"
  say "Left your existing $config untouched and wrote $own."
  say "Use both in this shell:"
  say "  export KUBECONFIG=\\"$config:$own\\""
  say "or merge them into $config (keeping a copy of it):"
  say "  cp \\"$config\\" \\"$config.bak\\" && KUBECONFIG=\\"$config:$own\\" kubectl config view --flatten >\\"$config.merged\\" && mv \\"$config.merged\\" \\"$config\\""
fi

if [ -n "$path_note" ]; then
  say "Add $BIN_DIR to your PATH (in your shell's profile): export PATH=\\"$BIN_DIR:\\$PATH\\""
fi
say "Try: kubectl --context $CONTEXT get pods   (your browser opens for the OIDC login the first time)"
`;
}
