import { readFileSync } from "node:fs";
import { configJsonSchema } from "@llmux/core";
import { describe, expect, it } from "vitest";
import { CLI_ERROR_CODES } from "../src/errors.js";

const rootReadme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
const packageReadme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

interface JsonSchemaObject {
  properties?: Record<string, { default?: unknown } & JsonSchemaObject>;
  additionalProperties?: JsonSchemaObject;
}

/** The rows `| \`field\` | default | meaning |` of the README section under `heading`. */
function tableRows(heading: string): Map<string, string> {
  const start = rootReadme.indexOf(`\n### ${heading}\n`);
  expect(start, `README section "### ${heading}"`).toBeGreaterThan(-1);
  const rest = rootReadme.slice(start + heading.length + 6);
  const section = rest.slice(0, rest.search(/\n#{2,3} /) === -1 ? undefined : rest.search(/\n#{2,3} /));
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([^`]+)` \| ([^|]+) \|/gm)) rows.set(match[1] ?? "", (match[2] ?? "").trim());
  return rows;
}

describe("root README configuration reference", () => {
  const schema = configJsonSchema() as JsonSchemaObject;
  const root = schema.properties ?? {};
  const sections: Array<[string, Record<string, { default?: unknown }>]> = [
    ["Top level", root],
    ["`models.<name>`", root["models"]?.additionalProperties?.properties ?? {}],
    ["`policy`", root["policy"]?.properties ?? {}],
    ["`gpu`", root["gpu"]?.properties ?? {}],
    ["`proxy`", root["proxy"]?.properties ?? {}],
  ];

  it.each(sections)("documents every field of %s with the schema's default", (heading, fields) => {
    expect(Object.keys(fields).length).toBeGreaterThan(0);
    const rows = tableRows(heading);
    for (const [field, definition] of Object.entries(fields)) {
      expect(rows.has(field), `README documents ${heading} field "${field}"`).toBe(true);
      if (definition.default !== undefined) {
        expect(rows.get(field), `README default of "${field}"`).toBe(`\`${JSON.stringify(definition.default)}\``);
      }
    }
    // And documents nothing the schema does not have.
    for (const field of rows.keys()) expect(Object.keys(fields), `schema has "${field}"`).toContain(field);
  });
});

describe("@llmux/cli README", () => {
  it("lists every error code of the catalogue, and no other LLMUX_ERR_ code as its own", () => {
    const section = packageReadme.slice(packageReadme.indexOf("## Error codes"));
    const listed = [...section.matchAll(/^\| `(LLMUX_ERR_[A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect([...listed].sort()).toEqual([...CLI_ERROR_CODES].sort());
  });
});
