import { describe, expect, it } from "vitest";
import { parseInline, parseMarkdown } from "./markdown";

describe("parseMarkdown", () => {
  it("reads a model card's headings, lists, tables and inline marks as data", () => {
    const blocks = parseMarkdown(
      [
        "# Model card: `shapes` version 1",
        "",
        "Trained on **3 classes**",
        "of *your* images.",
        "",
        "- **Data**: circles,",
        "  squares and triangles",
        "- Input: 32x32",
        "",
        "| setting | value |",
        "|---|---|",
        "| epochs | 2 |",
      ].join("\n"),
    );
    expect(blocks).toEqual([
      {
        kind: "heading",
        level: 1,
        content: [
          { kind: "text", text: "Model card: " },
          { kind: "code", text: "shapes" },
          { kind: "text", text: " version 1" },
        ],
      },
      {
        kind: "paragraph",
        content: [
          { kind: "text", text: "Trained on " },
          { kind: "strong", text: "3 classes" },
          { kind: "text", text: " of " },
          { kind: "em", text: "your" },
          { kind: "text", text: " images." },
        ],
      },
      {
        kind: "list",
        items: [
          [
            { kind: "strong", text: "Data" },
            { kind: "text", text: ": circles, squares and triangles" },
          ],
          [{ kind: "text", text: "Input: 32x32" }],
        ],
      },
      {
        kind: "table",
        header: [[{ kind: "text", text: "setting" }], [{ kind: "text", text: "value" }]],
        rows: [[[{ kind: "text", text: "epochs" }], [{ kind: "text", text: "2" }]]],
      },
    ]);
  });

  it("keeps HTML as text (it is rendered by React, never as markup)", () => {
    expect(parseMarkdown("<img src=x onerror=alert(1)>")).toEqual([
      { kind: "paragraph", content: [{ kind: "text", text: "<img src=x onerror=alert(1)>" }] },
    ]);
    expect(parseInline("a * b * c")).toEqual([{ kind: "text", text: "a * b * c" }]);
    expect(parseMarkdown("")).toEqual([]);
  });
});
