/** Test fixtures: model.json graphs of two differently shaped exports and a small3 bundle. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ModelGraph } from "../model/graph";

const folder = fileURLToPath(new URL("./fixtures/", import.meta.url));

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(folder + name));
}

export function fixtureGraph(name: "tiny_vgg" | "small3"): ModelGraph {
  return JSON.parse(readFileSync(`${folder}${name}.model.json`, "utf8")) as ModelGraph;
}
