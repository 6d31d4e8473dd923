import { describe, expect, it } from "vitest";
import { createHttp } from "./http";
import { createStudioApi, STUDIO_PATHS } from "./studio";

function recorder(answer: (url: string, call: number) => Response | Error) {
  const sent: { url: string; init: RequestInit }[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = input as string;
    sent.push({ url, init: init ?? {} });
    const next = answer(url, sent.length);
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  return {
    sent,
    api: createStudioApi(createHttp({ fetch, sleep: () => Promise.resolve(), maxAttempts: 3 })),
  };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

describe("the model studio's requests", () => {
  it("posts the import as multipart with the contract's field names and reports the server's refusal, sent once", async () => {
    const { sent, api } = recorder((_, call) =>
      call === 1
        ? json({ job_id: "j1", kind: "import", name: "mine", status: "queued" }, 202)
        : json(
            {
              error: {
                code: "invalid_dataset",
                message: "Folder 'cat' has 3 images; at least 10 are needed.",
              },
            },
            400,
          ),
    );
    const job = await api.importModel({
      name: "mine",
      title: "Mine",
      classes: "a\nb",
      files: [new File(["{}"], "model.json"), new File(["xx"], "w.bin")],
    });
    expect(job).toMatchObject({ job_id: "j1", kind: "import", status: "queued" });
    expect(sent[0]?.url).toBe(STUDIO_PATHS.import);
    const form = sent[0]?.init.body as FormData;
    expect(form.get("name")).toBe("mine");
    expect(form.get("classes")).toBe("a\nb");
    expect(form.getAll("files").map((file) => (file as File).name)).toEqual([
      "model.json",
      "w.bin",
    ]);
    await expect(api.uploadDataset(new File(["zip"], "d.zip"))).rejects.toMatchObject({
      status: 400,
      code: "invalid_dataset",
      message: /Folder 'cat'/,
    });
    expect(sent.map((request) => request.url)).toEqual([
      STUDIO_PATHS.import,
      STUDIO_PATHS.datasets,
    ]);
  });

  it("does not send an upload again after a lost connection, but retries a poll", async () => {
    const { sent, api } = recorder((url, call) => {
      if (url === STUDIO_PATHS.datasets || call === 2) return new TypeError("Failed to fetch");
      return json({ job_id: "j1", status: "running" });
    });
    await expect(api.uploadDataset(new File(["zip"], "d.zip"))).rejects.toMatchObject({
      status: 0,
      code: "network",
    });
    await expect(api.job("j1")).resolves.toMatchObject({ job_id: "j1", status: "running" });
    expect(sent.map((request) => request.url)).toEqual([
      STUDIO_PATHS.datasets,
      "/api/studio/jobs/j1",
      "/api/studio/jobs/j1",
    ]);
  });

  it("names every endpoint through one table of paths", async () => {
    const job = { job_id: "j/1", status: "running" };
    const entry = { name: "my net", versions: [1] };
    const { sent, api } = recorder((url) => {
      if (url === STUDIO_PATHS.models) return json({ default: "tiny_vgg", models: [] });
      if (url === STUDIO_PATHS.jobs) return json({ jobs: [job] });
      if (url === STUDIO_PATHS.datasets) return json({ datasets: [] });
      return json(url.includes("published") ? entry : job);
    });
    await api.models();
    await api.setPublished("my net", true);
    await api.datasets();
    await api.train({
      name: "n",
      dataset: "builtin",
      blocks: 1,
      convs_per_block: 1,
      filters: 4,
      kernel_size: 3,
      input_size: 32,
      epochs: 1,
    });
    expect(await api.jobs()).toHaveLength(1);
    await api.cancel("j/1");
    expect(sent.map((request) => `${request.init.method ?? "GET"} ${request.url}`)).toEqual([
      "GET /api/studio/models",
      "PUT /api/studio/models/my%20net/published",
      "GET /api/studio/datasets",
      "POST /api/studio/models/train",
      "GET /api/studio/jobs",
      "POST /api/studio/jobs/j%2F1/cancel",
    ]);
    expect(sent[1]?.init.body).toBe('{"published":true}');
  });
});
