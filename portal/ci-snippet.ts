/**
 * How a tenant's pipelines obtain deployer credentials, as a pipeline snippet for the CI the tenant's role is
 * bound to: GitLab CI when its claims are GitLab's (`project_*`, `namespace_*`), otherwise GitHub Actions
 * (which Forgejo and Gitea Actions run too); in shared mode, the commands the CI system runs as its own
 * service account. Values enter YAML as JSON strings (valid YAML double-quoted scalars) and reach the shell
 * only as variables (or single-quoted, in the shell commands of shared mode), so no registry or environment
 * value is ever parsed as shell.
 */
import type { CiView, DeployerView } from "./data";
import { shellQuote } from "./shell";

const GITLAB_CLAIMS = ["project_id", "project_path", "namespace_id", "namespace_path"];

export type CiSystem = "github" | "gitlab" | "shared";

export function ciSystem(ci: CiView): CiSystem {
  if (ci.kind === "shared") return "shared";
  return Object.keys(ci.boundClaims).some((k) => GITLAB_CLAIMS.includes(k)) ? "gitlab" : "github";
}

const y = (s: string) => JSON.stringify(s);

/** One deployer (its first namespace): the variables a step needs. */
function deployerVars(d: DeployerView | undefined, indent: string): string {
  if (!d) return "";
  return [
    `${indent}DEPLOYER_PATH: ${y(d.path)}`,
    `${indent}DEPLOY_NAMESPACE: ${y(d.namespaces[0] ?? "")}`,
  ].join("\n");
}

/** The shell lines after login: a deployer token for the namespace, and a kubectl context using it. */
const KUBE_LINES = [
  'KUBE_TOKEN=$(vault write -field=service_account_token "$DEPLOYER_PATH" kubernetes_namespace="$DEPLOY_NAMESPACE")',
  'kubectl config set-cluster platform --server="$KUBE_SERVER"',
  'kubectl config set-credentials deployer --token="$KUBE_TOKEN"',
  'kubectl config set-context deploy --cluster=platform --user=deployer --namespace="$DEPLOY_NAMESPACE"',
  "kubectl config use-context deploy",
];

export function ciSnippet(ci: CiView, vaultAddress: string, kubeServer: string): string {
  const d = ci.deployers[0];
  const system = ciSystem(ci);
  if (ci.kind === "shared")
    return [
      `# run by the CI system as its service account (${ci.serviceAccounts.join(", ")}), not by pipeline pods`,
      `export VAULT_ADDR=${shellQuote(vaultAddress)} KUBE_SERVER=${shellQuote(kubeServer)}`,
      `export DEPLOYER_PATH=${shellQuote(d?.path ?? "")} DEPLOY_NAMESPACE=${shellQuote(d?.namespaces[0] ?? "")}`,
      `VAULT_TOKEN=$(vault write -field=token ${shellQuote(`auth/${ci.authMount}/login`)} role=${shellQuote(ci.role)} jwt=@/var/run/secrets/kubernetes.io/serviceaccount/token)`,
      "export VAULT_TOKEN",
      ...KUBE_LINES,
      "",
    ].join("\n");
  if (system === "gitlab")
    return [
      "# .gitlab-ci.yml",
      "deploy:",
      "  id_tokens:",
      "    VAULT_ID_TOKEN:",
      `      aud: ${y(ci.audience ?? vaultAddress)}`,
      "  variables:",
      `    VAULT_ADDR: ${y(vaultAddress)}`,
      `    VAULT_AUTH_PATH: ${y(`auth/${ci.authMount}/login`)}`,
      `    VAULT_ROLE: ${y(ci.role)}`,
      `    KUBE_SERVER: ${y(kubeServer)}`,
      deployerVars(d, "    "),
      "  script:",
      '    - export VAULT_TOKEN="$(vault write -field=token "$VAULT_AUTH_PATH" role="$VAULT_ROLE" jwt="$VAULT_ID_TOKEN")"',
      ...KUBE_LINES.map((l) => `    - ${l}`),
      "",
    ].join("\n");
  return [
    "# .github/workflows/deploy.yml (GitHub Actions; Forgejo and Gitea Actions alike)",
    "name: deploy",
    "on:",
    "  push:",
    "    branches: [main]",
    "  workflow_dispatch:",
    "jobs:",
    "  deploy:",
    "    runs-on: ubuntu-latest",
    "    permissions:",
    "      id-token: write # the job's OIDC ID token: what Vault's JWT role trusts",
    "      contents: read",
    "    env:",
    `      VAULT_ADDR: ${y(vaultAddress)}`,
    `      VAULT_AUTH_PATH: ${y(`auth/${ci.authMount}/login`)}`,
    `      VAULT_ROLE: ${y(ci.role)}`,
    ...(ci.audience ? [`      AUDIENCE: ${y(ci.audience)}`] : []),
    `      KUBE_SERVER: ${y(kubeServer)}`,
    deployerVars(d, "      "),
    "    steps:",
    "      - uses: actions/checkout@v4",
    "      # Vault's HTTP API through curl and jq, which hosted runners have (no vault CLI needed)",
    "      - name: Deployer credentials from Vault",
    "        run: |",
    ...[
      `ID_TOKEN=$(curl -fsS -G -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" ${ci.audience ? '--data-urlencode "audience=$AUDIENCE" ' : ""}"$ACTIONS_ID_TOKEN_REQUEST_URL" | jq -r .value)`,
      `VAULT_TOKEN=$(jq -n --arg role "$VAULT_ROLE" --arg jwt "$ID_TOKEN" '{role: $role, jwt: $jwt}' | curl -fsS --data @- "$VAULT_ADDR/v1/$VAULT_AUTH_PATH" | jq -r .auth.client_token)`,
      'echo "::add-mask::$VAULT_TOKEN"',
      `KUBE_TOKEN=$(jq -n --arg ns "$DEPLOY_NAMESPACE" '{kubernetes_namespace: $ns}' | curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" --data @- "$VAULT_ADDR/v1/$DEPLOYER_PATH" | jq -r .data.service_account_token)`,
      'echo "::add-mask::$KUBE_TOKEN"',
      ...KUBE_LINES.slice(1),
    ].map((l) => `          ${l}`),
    "      - run: kubectl apply -f deploy/ # your manifests",
    "",
  ].join("\n");
}
