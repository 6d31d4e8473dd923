/** A model card's markdown drawn as React elements: text stays text, whatever the card holds. */
import { Fragment, useMemo } from "react";
import { parseMarkdown, type Inline } from "./markdown";

function Inlines({ parts }: { parts: Inline[] }) {
  return (
    <>
      {parts.map((part, index) => {
        if (part.kind === "strong") return <strong key={index}>{part.text}</strong>;
        if (part.kind === "em") return <em key={index}>{part.text}</em>;
        if (part.kind === "code") return <code key={index}>{part.text}</code>;
        return <Fragment key={index}>{part.text}</Fragment>;
      })}
    </>
  );
}

export function ModelCard({ markdown }: { markdown: string }) {
  const blocks = useMemo(() => parseMarkdown(markdown), [markdown]);
  if (blocks.length === 0) return <p className="hint">This version has no model card.</p>;
  return (
    <div className="model-card" data-testid="model-card">
      {blocks.map((block, index) => {
        switch (block.kind) {
          case "heading": {
            // Headings of the card sit under the model's own heading (h3).
            const Tag = `h${Math.min(6, block.level + 3)}` as "h4" | "h5" | "h6";
            return (
              <Tag key={index}>
                <Inlines parts={block.content} />
              </Tag>
            );
          }
          case "paragraph":
            return (
              <p key={index}>
                <Inlines parts={block.content} />
              </p>
            );
          case "list":
            return (
              <ul key={index}>
                {block.items.map((item, i) => (
                  <li key={i}>
                    <Inlines parts={item} />
                  </li>
                ))}
              </ul>
            );
          case "table":
            return (
              <table key={index} className="data-table">
                <thead>
                  <tr>
                    {block.header.map((cell, i) => (
                      <th key={i} scope="col">
                        <Inlines parts={cell} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {block.rows.map((row, r) => (
                    <tr key={r}>
                      {row.map((cell, i) => (
                        <td key={i}>
                          <Inlines parts={cell} />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            );
        }
      })}
    </div>
  );
}
