import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { createModelsApi, datasetFileProblem, decodeCatalogue, decodeDataset, decodeJob, importFilesProblem } from "./modelsApi";

describe("decoding", () => {
  it("reads the model list of the contract and fills what a backend leaves out", () => {
    const catalogue = decodeCatalogue({
      default: "tiny_vgg",
      models: [
        { name: "tiny_vgg", title: "Tiny VGG", versions: [1], latest: 1, source: "builtin", classes: ["lifeboat"], accuracy: 0.78, published: true, card: "# Card", created_at: "2026-11-26T00:00:00Z" },
        { name: "shapes", versions: [2, 1], source: "something-new", accuracy: null },
      ],
    });
    expect(catalogue.models[1]).toEqual({
      name: "shapes", title: "shapes", versions: [1, 2], latest: 2, source: "trained", classes: [], accuracy: null, published: false, card: "", created_at: "",
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
    expect(decodeDataset({ dataset_id: "d1", classes: [{ name: "circle", images: 20 }, { name: "square", images: 21 }], warnings: ["x.png is tiny"] })).toEqual({
      dataset_id: "d1", classes: [{ name: "circle", images: 20 }, { name: "square", images: 21 }], images: 41, warnings: ["x.png is tiny"], created_at: "",
    });
    const job = decodeJob({
      job_id: "j", kind: "train", name: "shapes", status: "succeeded", config: { epochs: 2 },
      progress: { history: [{ epoch: 2, loss: 0.5, accuracy: 0.9, val_loss: 0.6, val_accuracy: 0.8 }, { loss: 1 }, { epoch: 1, loss: 1, accuracy: 0.5, val_loss: 1.1, val_accuracy: 0.4 }] },
      result: { name: "shapes", version: 3, accuracy: 0.8 }, error: "",
    });
    expect(job.progress).toEqual({ epoch: 2, epochs: 2, history: [expect.objectContaining({ epoch: 1 }), expect.objectContaining({ epoch: 2 })] });
    expect(job.result).toEqual({ name: "shapes", version: 3, accuracy: 0.8 });
    expect(job.error).toBeNull();
  });
});

describe("client-side file checks", () => {
  it("takes a zip of a sensible size only", () => {
    expect(datasetFileProblem({ name: "shapes.zip", size: 1000, type: "application/zip" })).toBeNull();
    expect(datasetFileProblem({ name: "Shapes.ZIP", size: 1000, type: "" })).toBeNull();
    expect(datasetFileProblem({ name: "shapes.tar", size: 1000, type: "application/x-tar" })).toMatch(/not a \.zip/);
    expect(datasetFileProblem({ name: "evil.zip", size: 1000, type: "text/html" })).toMatch(/not a \.zip/);
    expect(datasetFileProblem({ name: "empty.zip", size: 0, type: "application/zip" })).toMatch(/empty/);
    expect(datasetFileProblem({ name: "huge.zip", size: 300 * 1024 * 1024, type: "application/zip" })).toMatch(/300\.0 MB; the limit is 100\.0 MB/);
  });

  it("takes one .keras/.h5, or model.json with its .bin shards", () => {
    const f = (name: string, size = 10) => ({ name, size });
    expect(importFilesProblem([f("m.keras")])).toBeNull();
    expect(importFilesProblem([f("m.h5")])).toBeNull();
    expect(importFilesProblem([f("model.json"), f("group1-shard1of2.bin"), f("group1-shard2of2.bin")])).toBeNull();
    expect(importFilesProblem([])).toMatch(/Choose/);
    expect(importFilesProblem([f("m.keras"), f("m.h5")])).toMatch(/single/);
    expect(importFilesProblem([f("model.json")])).toMatch(/\.bin weight files/);
    expect(importFilesProblem([f("model.json"), f("w.bin"), f("notes.md")])).toMatch(/notes\.md is neither/);
    expect(importFilesProblem([f("a.json"), f("b.json"), f("w.bin")])).toMatch(/one \.keras/);
    expect(importFilesProblem([f("m.keras", 200 * 1024 * 1024)])).toMatch(/limit/);
    expect(importFilesProblem([f("m.h5"), f("labels.txt")])).toBeNull();
    expect(importFilesProblem([f("model.json"), f("w.bin"), f("w.bin")])).toMatch(/same name/);
  });
});

describe("requests", () => {
  it("posts the import as multipart with the contract's field names and reports the server's refusal", async () => {
    const sent: { url: string; form: FormData }[] = [];
    const api = createModelsApi({
      fetch: (input, init) => {
        sent.push({ url: input as string, form: init?.body as FormData });
        if (sent.length === 1) return Promise.resolve(new Response(JSON.stringify({ job_id: "j1", kind: "import", name: "mine", status: "queued" }), { status: 202 }));
        return Promise.resolve(new Response(JSON.stringify({ error: { code: "invalid_dataset", message: "Folder 'cat' has 3 images; at least 10 are needed." } }), { status: 400 }));
      },
    });
    const job = await api.importModel({ name: "mine", title: "Mine", classes: "a\nb", files: [new File(["{}"], "model.json"), new File(["xx"], "w.bin")] });
    expect(job).toMatchObject({ job_id: "j1", kind: "import", status: "queued" });
    expect(sent[0]?.url).toBe("/api/instructor/models/import");
    expect(sent[0]?.form.get("name")).toBe("mine");
    expect(sent[0]?.form.get("classes")).toBe("a\nb");
    expect(sent[0]?.form.getAll("files").map((file) => (file as File).name)).toEqual(["model.json", "w.bin"]);
    await expect(api.uploadDataset(new File(["zip"], "d.zip"))).rejects.toMatchObject({ status: 400, code: "invalid_dataset", message: /Folder 'cat'/ });
    expect(sent.length).toBe(2);
  });
});
