#!/usr/bin/env node
// Entry point for `npx tenancy`: runs the TypeScript CLI directly through tsx, so no build step is needed.
require("tsx/cjs");
require("../cli/main.ts");
