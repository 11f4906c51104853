/** Every layer, in dependency order. */
import type { Layer, LayerName } from "./layer";
import { ciProgram } from "./ci";
import { platformProgram } from "./platform";
import { vaultProgram } from "./vault";

export const LAYERS: Layer[] = [
  { name: "platform", dependsOn: [], program: platformProgram },
  { name: "vault", dependsOn: ["platform"], program: vaultProgram },
  { name: "ci", dependsOn: ["vault"], program: ciProgram },
];

export function layerByName(name: string): Layer | undefined {
  return LAYERS.find((l) => l.name === name);
}

/** The named layers plus everything they depend on, in dependency order. */
export function withDependencies(names: LayerName[]): Layer[] {
  const wanted = new Set<LayerName>();
  const visit = (n: LayerName) => {
    if (wanted.has(n)) return;
    wanted.add(n);
    layerByName(n)?.dependsOn.forEach(visit);
  };
  names.forEach(visit);
  return LAYERS.filter((l) => wanted.has(l.name));
}
