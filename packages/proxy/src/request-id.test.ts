import { describe, expect, it } from "vitest";
import { requestIdOf } from "./request-id.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("requestIdOf", () => {
  it("keeps a client's id that is short and printable", () => {
    expect(requestIdOf({ "x-request-id": "req_01J9Z:abc-1.2" })).toBe("req_01J9Z:abc-1.2");
  });

  it("replaces a missing, oversized, repeated or unprintable id with a fresh UUID", () => {
    for (const given of [undefined, "", "x".repeat(129), "two words", 'quote"d', "line\nbreak", ["a", "b"]]) {
      const id = requestIdOf(given === undefined ? {} : { "x-request-id": given as string });
      expect(id, JSON.stringify(given)).toMatch(UUID);
    }
    expect(requestIdOf({})).not.toBe(requestIdOf({}));
  });
});
