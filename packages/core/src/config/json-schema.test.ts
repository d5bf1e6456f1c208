import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "./json-schema.js";

const committed = new URL("../../config.schema.json", import.meta.url);

describe("configJsonSchema", () => {
  it("matches the committed config.schema.json (LLMUX_WRITE_SCHEMA=1 rewrites it)", () => {
    const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (process.env.LLMUX_WRITE_SCHEMA === "1") writeFileSync(committed, text);
    expect(readFileSync(committed, "utf8")).toBe(text);
  });

  it("describes the config for editors: required models, no extra keys, defaults", () => {
    const schema = configJsonSchema() as {
      required?: string[];
      additionalProperties?: unknown;
      properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }>;
    };
    expect(schema.required).toEqual(["models"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.port?.default).toBe(3000);
    expect(schema.properties.policy?.properties?.policy_type?.default).toBe("fifo");
  });
});
