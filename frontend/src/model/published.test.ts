import { describe, expect, it } from "vitest";
import type { ModelList } from "../api/explorer";
import { decodePublished } from "../api/studioDecode";
import { modelChoices } from "./published";

const served: ModelList = {
  default: "tiny_vgg",
  models: [
    { name: "shapes", versions: [1, 2], latest: 2 },
    { name: "tiny_vgg", versions: [1], latest: 1 },
    { name: "secret", versions: [1], latest: 1 },
  ],
};

describe("modelChoices", () => {
  it("offers the published models the gateway serves, default first, with their titles", () => {
    const published = decodePublished({
      default: "tiny_vgg",
      models: [
        { name: "tiny_vgg", title: "Tiny VGG", latest: 1, classes: ["lifeboat"], accuracy: 0.78 },
        {
          name: "shapes",
          title: "Shapes (3 blocks)",
          latest: 2,
          classes: ["circle", "square"],
          accuracy: null,
        },
        { name: "gone", title: "Not served", latest: 1, classes: [], accuracy: null },
      ],
    });
    expect(modelChoices(served, published, "tiny_vgg")).toEqual([
      { name: "tiny_vgg", title: "Tiny VGG" },
      { name: "shapes", title: "Shapes (3 blocks)" },
    ]);
    // An unpublished model opened by a link is still what the page shows.
    expect(modelChoices(served, published, "secret").map((choice) => choice.name)).toEqual([
      "tiny_vgg",
      "shapes",
      "secret",
    ]);
  });

  it("falls back to the default (and the model on screen) when the study service cannot be asked", () => {
    expect(modelChoices(served, null, "tiny_vgg")).toEqual([
      { name: "tiny_vgg", title: "tiny_vgg" },
    ]);
    expect(modelChoices(served, null, "shapes")).toEqual([
      { name: "tiny_vgg", title: "tiny_vgg" },
      { name: "shapes", title: "shapes" },
    ]);
    expect(modelChoices(served, null, "not_served")).toEqual([
      { name: "tiny_vgg", title: "tiny_vgg" },
    ]);
  });
});
