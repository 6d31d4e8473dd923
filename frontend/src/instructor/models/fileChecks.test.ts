import { describe, expect, it } from "vitest";
import { datasetFileProblem, importFilesProblem } from "./fileChecks";

describe("client-side file checks", () => {
  it("takes a zip of a sensible size only", () => {
    expect(
      datasetFileProblem({ name: "shapes.zip", size: 1000, type: "application/zip" }),
    ).toBeNull();
    expect(datasetFileProblem({ name: "Shapes.ZIP", size: 1000, type: "" })).toBeNull();
    expect(
      datasetFileProblem({ name: "shapes.tar", size: 1000, type: "application/x-tar" }),
    ).toMatch(/not a \.zip/);
    expect(datasetFileProblem({ name: "evil.zip", size: 1000, type: "text/html" })).toMatch(
      /not a \.zip/,
    );
    expect(datasetFileProblem({ name: "empty.zip", size: 0, type: "application/zip" })).toMatch(
      /empty/,
    );
    expect(
      datasetFileProblem({ name: "huge.zip", size: 300 * 1024 * 1024, type: "application/zip" }),
    ).toMatch(/300\.0 MB; the limit is 100\.0 MB/);
  });

  it("takes one .keras/.h5, or model.json with its .bin shards", () => {
    const f = (name: string, size = 10) => ({ name, size });
    expect(importFilesProblem([f("m.keras")])).toBeNull();
    expect(importFilesProblem([f("m.h5")])).toBeNull();
    expect(
      importFilesProblem([f("model.json"), f("group1-shard1of2.bin"), f("group1-shard2of2.bin")]),
    ).toBeNull();
    expect(importFilesProblem([])).toMatch(/Choose/);
    expect(importFilesProblem([f("m.keras"), f("m.h5")])).toMatch(/single/);
    expect(importFilesProblem([f("model.json")])).toMatch(/\.bin weight files/);
    expect(importFilesProblem([f("model.json"), f("w.bin"), f("notes.md")])).toMatch(
      /notes\.md is neither/,
    );
    expect(importFilesProblem([f("a.json"), f("b.json"), f("w.bin")])).toMatch(/one \.keras/);
    expect(importFilesProblem([f("m.keras", 200 * 1024 * 1024)])).toMatch(/limit/);
    expect(importFilesProblem([f("m.h5"), f("labels.txt")])).toBeNull();
    expect(importFilesProblem([f("model.json"), f("w.bin"), f("w.bin")])).toMatch(/same name/);
  });
});
