/**
 * Pulumi.yaml's program: the Pulumi CLI runs one layer directly (`pulumi up -s <env>-<layer>`); see direct.ts.
 * A function export: the Pulumi runtime calls it and takes its result as the stack's outputs.
 */
import { main } from "./direct";

export = main;
