import { describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import { decodeCatalogue, decodeDataset, decodeJob, decodePublished } from "./studioDecode";

describe("decoding the studio's answers", () => {
  it("reads the model list of the contract and fills what a backend leaves out", () => {
    const catalogue = decodeCatalogue({
      default: "tiny_vgg",
      models: [
        {
          name: "tiny_vgg",
          title: "Tiny VGG",
          versions: [1],
          latest: 1,
          source: "builtin",
          classes: ["lifeboat"],
          accuracy: 0.78,
          published: true,
          card: "# Card",
          created_at: "2026-11-26T00:00:00Z",
        },
        { name: "shapes", versions: [2, 1], source: "something-new", accuracy: null },
      ],
    });
    expect(catalogue.models[1]).toEqual({
      name: "shapes",
      title: "shapes",
      versions: [1, 2],
      latest: 2,
      source: "trained",
      classes: [],
      accuracy: null,
      published: false,
      card: "",
      created_at: "",
      owner_id: null,
      shared_with: [],
      may_manage: false,
      may_share: false,
    });
    expect(catalogue.models[0]?.accuracy).toBe(0.78);
  });

  it("refuses an answer that is not the expected shape with a readable error", () => {
    expect(() => decodeCatalogue("<html>")).toThrow(ApiError);
    expect(() => decodeCatalogue({ models: "no" })).toThrow(/not understood/);
    expect(() => decodeJob({ status: "running" })).toThrow(/a job/);
    expect(() => decodeDataset({ classes: [] })).toThrow(/data set/);
  });

  it("reads a data set and a job, sorting the history and ignoring broken epochs", () => {
    expect(
      decodeDataset({
        dataset_id: "d1",
        classes: [
          { name: "circle", images: 20 },
          { name: "square", images: 21 },
        ],
        warnings: ["x.png is tiny"],
      }),
    ).toEqual({
      dataset_id: "d1",
      classes: [
        { name: "circle", images: 20 },
        { name: "square", images: 21 },
      ],
      images: 41,
      warnings: ["x.png is tiny"],
      created_at: "",
      filename: "",
      status: "ready",
      error: null,
      checked_at: null,
    });
    const refused = decodeDataset({
      dataset_id: "d2",
      status: "invalid",
      error: "folder 'a' holds 3 image(s)",
    });
    expect([refused.status, refused.error, refused.classes]).toEqual([
      "invalid",
      "folder 'a' holds 3 image(s)",
      [],
    ]);
    const job = decodeJob({
      job_id: "j",
      kind: "train",
      name: "shapes",
      status: "succeeded",
      config: { epochs: 2 },
      progress: {
        history: [
          { epoch: 2, loss: 0.5, accuracy: 0.9, val_loss: 0.6, val_accuracy: 0.8 },
          { loss: 1 },
          { epoch: 1, loss: 1, accuracy: 0.5, val_loss: 1.1, val_accuracy: 0.4 },
        ],
      },
      result: { name: "shapes", version: 3, accuracy: 0.8 },
      error: "",
    });
    expect(job.progress).toEqual({
      epoch: 2,
      epochs: 2,
      history: [expect.objectContaining({ epoch: 1 }), expect.objectContaining({ epoch: 2 })],
    });
    expect(job.result).toEqual({ name: "shapes", version: 3, accuracy: 0.8 });
    expect(job.error).toBeNull();
  });

  it("reads the students' list, ignoring a list in another shape and broken entries", () => {
    expect(decodePublished("<html>")).toBeNull();
    expect(decodePublished({ models: {} })).toBeNull();
    expect(
      decodePublished({
        default: "tiny_vgg",
        models: [null, { title: "no name" }, { name: "shapes" }],
      }),
    ).toEqual({
      default: "tiny_vgg",
      models: [{ name: "shapes", title: "shapes", latest: 0, classes: [], accuracy: null }],
    });
  });
});
