import { z } from "zod";
import { configSchema } from "./schema.js";

/** JSON Schema (draft 2020-12) of the config file, for editors. Describes the input (defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
