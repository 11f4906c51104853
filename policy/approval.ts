/**
 * Who may approve a raise of privilege (`tenancy approve-check`, docs/pr-workflow.md "Privilege raises"): a
 * platform admin (the environment's `codeowners.admins`) who is none of the raised tenant's own reviewers (its
 * `git:` accounts and those of its managers, as `tenancy codeowners` makes them owners of its record). Reviews
 * come as the forge lists them (GitHub `GET /repos/{o}/{r}/pulls/{n}/reviews`, Forgejo and Gitea the same path):
 * each reviewer's latest verdict counts, an approval of an earlier commit than the head does not, nor a dismissed
 * or stale one. Admins named as teams (`@org/team`) count through the team's members the pipeline lists; a team
 * whose members are not given approves nothing (fails closed).
 *
 * A child's raise (docs/organisations.md) may also be approved by its ancestors' own reviewers as the base
 * registry names them (the tree as the head has it: a new child names its parent there), never by the child's own:
 * the child is bounded by its parent at validation, so they grant nothing their organisation does not hold. Their
 * teams are not resolved: a team among them approves nothing. A tenant joining an organisation (a new or changed
 * `parent`, a raise of kind `organisation`) is approved by an admin or its NEW parent's own reviewers only, as the
 * base names them: a parent that exists only in the head has none, and its old organisation's consent is not its
 * new one's. When the child's own reviewers (either side) include a team, whose members are not resolved, no
 * organisation approval counts for it (any of them could be in the team): only an admin's.
 *
 * Plain data: no forge is called here.
 */
import { ancestors, type RegistryModel } from "../registry/model";
import { ownReviewers } from "./codeowners";

export interface Review {
  /** The reviewer's login. */
  login: string;
  /** APPROVED, CHANGES_REQUESTED (Gitea: REQUEST_CHANGES), COMMENTED, DISMISSED, PENDING. */
  state: string;
  /** The commit reviewed. */
  commit?: string;
  /** Gitea and Forgejo: dismissed, or made stale by a later push. */
  void?: boolean;
}

const text = (v: unknown) => (typeof v === "string" ? v : undefined);

/** Reviews from the forge's JSON (an array of review objects); anything else is refused with why. */
export function parseReviews(json: unknown): Review[] {
  if (!Array.isArray(json)) throw new Error("expected the forge's list of reviews: a JSON array");
  return json.map((item, i) => {
    const r = (item ?? {}) as Record<string, unknown>;
    const user = (r.user ?? {}) as Record<string, unknown>;
    const login = text(user.login);
    const state = text(r.state);
    if (login === undefined || state === undefined)
      throw new Error(`review ${i}: expected user.login and state (as the forge lists reviews)`);
    const commit = text(r.commit_id);
    return {
      login,
      state: state.toUpperCase(),
      ...(commit !== undefined ? { commit } : {}),
      ...(r.dismissed === true || r.stale === true ? { void: true } : {}),
    };
  });
}

/** Logins from a list of users (`gh api orgs/{org}/teams/{team}/members`: objects with `login`) or of names. */
export function parseLogins(json: unknown): string[] {
  if (!Array.isArray(json)) throw new Error("expected a JSON array of logins or of users with a login");
  return json.map((u, i) => {
    const login = typeof u === "string" ? u : text((u as { login?: unknown } | null)?.login);
    if (login === undefined) throw new Error(`entry ${i}: expected a login`);
    return login;
  });
}

const norm = (account: string) => account.replace(/^@/, "").toLowerCase();

/** The logins whose latest verdict, on the head commit when given, is an approval. */
export function approvers(reviews: readonly Review[], head?: string): string[] {
  const verdict = new Map<string, boolean>();
  for (const r of reviews) {
    const login = norm(r.login);
    if (r.state === "APPROVED") {
      if (r.void || (head !== undefined && r.commit !== head)) verdict.delete(login);
      else verdict.set(login, true);
    } else if (["CHANGES_REQUESTED", "REQUEST_CHANGES", "DISMISSED"].includes(r.state))
      verdict.set(login, false);
    // COMMENTED, PENDING: a comment after an approval leaves it standing (as GitHub counts them)
  }
  return [...verdict].filter(([, ok]) => ok).map(([login]) => login);
}

export interface ApprovalVerdict {
  /** Every raised tenant has an approval by an admin who is not among its own reviewers. */
  approved: boolean;
  /** The approvals that count, per raised tenant: admins', and for a child its ancestors' reviewers'. */
  by: Record<string, string[]>;
  /** Admin teams whose members were not given: they approve nothing. */
  unresolvedTeams: string[];
}

/**
 * Whether the raises of `tenants` (the tenants whose records or tiers grant them) are approved by platform
 * admins: `admins` as `codeowners.admins` names them (`@login`, `login` or `@org/team`), `teamMembers` the
 * logins of the admin teams' members.
 */
export function adminApproval(
  /** The registries whose records say who a tenant's own reviewers are: the base's and the head's. */
  models: readonly RegistryModel[],
  tenants: readonly string[],
  reviews: readonly Review[],
  admins: readonly string[],
  teamMembers: readonly string[] = [],
  head?: string,
): ApprovalVerdict {
  const teams = admins.filter((a) => a.includes("/"));
  const adminLogins = new Set([
    ...admins.filter((a) => !a.includes("/") && !a.includes("@", 1)).map(norm),
    ...(teams.length > 0 ? teamMembers.map(norm) : []),
  ]);
  const approving = approvers(reviews, head);
  const approved = approving.filter((l) => adminLogins.has(l));
  const byIds = models.map((m) => new Map(m.tenants.map((t) => [t.id, t])));
  const [baseById] = byIds;
  const last = models.at(-1);
  const by: Record<string, string[]> = {};
  for (const id of [...new Set(tenants)].sort()) {
    // its own reviewers (codeowners of its record) on either side: its accounts and its managers'
    const ownHandles = byIds.flatMap((byId) => {
      const t = byId.get(id);
      return t ? ownReviewers(byId, t) : [];
    });
    const own = new Set(ownHandles.map(norm));
    // a team among them: its members are not resolved here, so any organisation reviewer could be one of them
    // (fails closed: no organisation approval counts for this tenant; an admin's still does)
    const ownTeam = ownHandles.some((h) => h.includes("/"));
    // its ancestors' own reviewers as the base names them (accounts only; teams approve nothing here); a tenant
    // joining an organisation (a new or changed parent: plan/privilege.ts) has its new parent's only, and a
    // parent that exists only in the head has none
    const self = last?.tenants.find((t) => t.id === id);
    const joins = self?.parent !== undefined && self.parent !== baseById?.get(id)?.parent;
    const organisationIds =
      ownTeam || !last || !self || !baseById
        ? []
        : joins
          ? [self.parent!]
          : ancestors(last, self).map((a) => a.id);
    const organisation = new Set(
      organisationIds
        .flatMap((a) => {
          const before = baseById?.get(a);
          return before ? ownReviewers(baseById!, before) : [];
        })
        .filter((h) => !h.includes("/"))
        .map(norm),
    );
    by[id] = [...new Set([...approved, ...approving.filter((l) => organisation.has(l))])].filter(
      (l) => !own.has(l),
    );
  }
  return {
    approved: Object.values(by).every((ls) => ls.length > 0),
    by,
    unresolvedTeams: teamMembers.length === 0 ? teams : [],
  };
}
