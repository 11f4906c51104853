/** The layers' names, in dependency order. Kept apart from the programs so the CLI can parse options without loading Pulumi. */
export const LAYER_NAMES = ["platform", "vault", "ci"] as const;
export type LayerName = (typeof LAYER_NAMES)[number];
