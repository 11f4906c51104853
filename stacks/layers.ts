/** Every layer bound to its program, in dependency order. */
import {
  LAYER_DEPENDENCIES,
  LAYER_NAMES,
  type Layer,
  type LayerName,
  type LayerProgram,
} from "../layers/names";
import { appsProgram } from "./apps";
import { ciProgram } from "./ci";
import { dnsProgram } from "./dns";
import { platformProgram } from "./platform";
import { vaultProgram } from "./vault";

const PROGRAMS: Record<LayerName, LayerProgram> = {
  platform: platformProgram,
  dns: dnsProgram,
  vault: vaultProgram,
  ci: ciProgram,
  apps: appsProgram,
};

export const LAYERS: Layer[] = LAYER_NAMES.map((name) => ({
  name,
  dependsOn: LAYER_DEPENDENCIES[name],
  program: PROGRAMS[name],
}));
