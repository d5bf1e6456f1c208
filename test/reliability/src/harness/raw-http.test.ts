import { describe, expect, test } from "vitest";
import { completeResponses, statusesOf } from "./raw-http.js";
import { streamContent } from "./client.js";

describe("raw HTTP framing", () => {
  const one = (status: number, body: string): string => `HTTP/1.1 ${status} X\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  test("back-to-back responses are split by their framing", () => {
    const text = `${one(200, '{"a":"HTTP/1.1 500 in a body"}') + one(404, "{}")}HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`;
    expect(statusesOf(text)).toEqual([200, 404, 200]);
    expect(completeResponses(text)).toBe(3);
  });

  test("a cut-off response counts as seen but not complete", () => {
    const text = `${one(200, "{}")}HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{`;
    expect(statusesOf(text)).toEqual([200, 200]);
    expect(completeResponses(text)).toBe(1);
  });
});

describe("streamContent", () => {
  test("joins deltas and requires [DONE]", () => {
    const chunk = (content: string): string => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;
    expect(streamContent(`${chunk("[m1]")}${chunk(" hi")}data: [DONE]\n\n`)).toEqual({ text: "[m1] hi" });
    expect(streamContent(chunk("[m1]")).error).toBe("no_done");
    expect(streamContent(`${chunk("[m1]")}data: {"error":{"code":"X"}}\n\ndata: [DONE]\n\n`).error).toBe("X");
    expect(streamContent(`data: [DONE]\n\n${chunk("late")}`).error).toBe("data_after_done");
  });
});
