/** The markdown diff holds text from registries: nothing in it can become HTML, a table cell or a Mermaid edge. */
import { describe, expect, it } from "vitest";
import { formatDiffMarkdown } from "../../plan/diff";

describe("formatDiffMarkdown", () => {
  it("escapes HTML, table and emphasis syntax in cells, and quotes in Mermaid labels", () => {
    const text = formatDiffMarkdown(
      {
        tenants: [{ id: "alice", status: "changed" }],
        resources: [
          {
            layer: "platform",
            tenant: "alice",
            type: "kubernetes:core/v1:ConfigMap",
            name: "x",
            op: "change",
            changes: [
              { path: "data.note", old: "a", new: "<img src=x onerror=alert(1)> | `*x*` [l](u)\n# h" },
            ],
          },
        ],
        access: {
          gained: [
            {
              principal: 'user:"]) --> evil["x',
              tenant: "alice",
              system: "kubernetes",
              scope: "namespace:alice",
              resource: "pods",
              verbs: ["get"],
              via: "v",
            },
          ],
          lost: [],
          crossTenant: [],
        },
      },
      "main",
      "example",
      "refused <b>because</b>",
    );
    expect(text).not.toMatch(/<img|<b>/);
    expect(text).toContain(String.raw`"&lt;img src=x onerror=alert(1)&gt; \| \`\*x\*\` \[l\](u)\\n\# h"`);
    expect(text).toContain("&lt;b&gt;because&lt;/b&gt;");
    expect(text).toContain('n0["user:#34;]) --#62; evil[#34;x"]');
    // one edge, nothing injected
    expect(text.match(/-->/g)).toHaveLength(1);
  });
});
