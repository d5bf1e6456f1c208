import { describe, expect, it } from "vitest";
import { isLlmuxError } from "@llmux/types";
import { boundaryOf, extractModel } from "./extract-model.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isLlmuxError(error) ? error.code : "not coded";
  }
  return undefined;
}

function form(boundary: string, parts: { name: string; filename?: string; value: Buffer | string }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ""}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n`));
    if (part.filename) chunks.push(Buffer.from("Content-Type: audio/wav\r\n"));
    chunks.push(Buffer.from("\r\n"), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

describe("extractModel (JSON)", () => {
  const json = "application/json";

  it("reads model and stream", () => {
    expect(extractModel("json", json, Buffer.from('{"model":"a","stream":true}'))).toEqual({ model: "a", stream: true });
    expect(extractModel("json", "Application/JSON; charset=utf-8", Buffer.from('{"model":"a"}'))).toEqual({ model: "a", stream: false });
  });

  it("reads the client's token cap: max_completion_tokens first, then max_tokens; leaves a bad one to vLLM", () => {
    const facts = (body: string) => extractModel("json", json, Buffer.from(body));
    expect(facts('{"model":"a","max_tokens":512}')).toEqual({ model: "a", stream: false, maxTokens: 512 });
    expect(facts('{"model":"a","max_tokens":512,"max_completion_tokens":64}')).toEqual({ model: "a", stream: false, maxTokens: 64 });
    expect(facts('{"model":"a","max_tokens":-1}')).toEqual({ model: "a", stream: false });
    expect(facts('{"model":"a","max_tokens":"9"}')).toEqual({ model: "a", stream: false });
  });

  it("rejects malformed JSON, non-objects and a missing model with coded errors", () => {
    expect(codeOf(() => extractModel("json", json, Buffer.from('{"model":')))).toBe("LLMUX_ERR_INVALID_BODY");
    expect(codeOf(() => extractModel("json", json, Buffer.alloc(0)))).toBe("LLMUX_ERR_INVALID_BODY");
    expect(codeOf(() => extractModel("json", json, Buffer.from("[1]")))).toBe("LLMUX_ERR_INVALID_BODY");
    expect(codeOf(() => extractModel("json", json, Buffer.from("{}")))).toBe("LLMUX_ERR_MISSING_MODEL");
    expect(codeOf(() => extractModel("json", json, Buffer.from('{"model":""}')))).toBe("LLMUX_ERR_MISSING_MODEL");
    expect(codeOf(() => extractModel("json", json, Buffer.from('{"model":7}')))).toBe("LLMUX_ERR_MISSING_MODEL");
  });

  it("reads a large body (over 1 MiB, checked in place) as it reads a small one, and refuses it with the same messages", () => {
    const pad = "x".repeat(2 * 1024 * 1024);
    const messageOf = (body: string): string | undefined => {
      try {
        extractModel("json", json, Buffer.from(body));
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    };
    const large = `{"messages":[{"role":"user","content":"${pad}"}],"model":"a","max_tokens":7,"stream":true,"model":"b"}`;
    expect(extractModel("json", json, Buffer.from(large))).toEqual({ model: "b", stream: true, maxTokens: 7 });
    expect(extractModel("json", json, Buffer.from(`{"mod\\u0065l":"c","pad":"${pad}"}`))).toEqual({ model: "c", stream: false });
    const parseMessage = (body: string): string => {
      try {
        JSON.parse(body);
      } catch (error) {
        return `The request body is not valid JSON: ${(error as Error).message}`;
      }
      return "parsed";
    };
    const truncated = `{"model":"a","pad":"${pad}"`;
    expect(messageOf(truncated)).toBe(parseMessage(truncated));
    expect(messageOf(`[{"model":"a","pad":"${pad}"}]`)).toBe("The request body must be a JSON object.");
    expect(codeOf(() => extractModel("json", json, Buffer.from(`{"pad":"${pad}"}`)))).toBe(codeOf(() => extractModel("json", json, Buffer.from("{}"))));
  });

  it("refuses other content types with 415", () => {
    expect(codeOf(() => extractModel("json", "text/plain", Buffer.from('{"model":"a"}')))).toBe("LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE");
    expect(codeOf(() => extractModel("json", undefined, Buffer.from('{"model":"a"}')))).toBe("LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("extractModel (multipart)", () => {
  const boundary = "----llmuxBoundary42";
  const type = `multipart/form-data; boundary=${boundary}`;

  it("finds the model field after a large binary file part", () => {
    // Binary audio that contains CRLFs and a near-miss of the delimiter.
    const audio = Buffer.alloc(512 * 1024, 7);
    audio.write(`\r\n--${boundary.slice(0, -1)}x\r\n`, 1000, "latin1");
    const body = form(boundary, [
      { name: "file", filename: "a.wav", value: audio },
      { name: "model", value: "whisper" },
      { name: "stream", value: "true" },
    ]);
    expect(extractModel("multipart", type, body)).toEqual({ model: "whisper", stream: true });
  });

  it("accepts a quoted boundary", () => {
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe("a b");
    const body = form("a b", [{ name: "model", value: "m" }]);
    expect(extractModel("multipart", 'multipart/form-data; boundary="a b"', body).model).toBe("m");
  });

  it("rejects a form without model, a malformed form, a missing boundary and a wrong type", () => {
    expect(codeOf(() => extractModel("multipart", type, form(boundary, [{ name: "file", filename: "a", value: "x" }])))).toBe("LLMUX_ERR_MISSING_MODEL");
    expect(codeOf(() => extractModel("multipart", type, Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nm`)))).toBe(
      "LLMUX_ERR_INVALID_BODY",
    );
    expect(codeOf(() => extractModel("multipart", type, Buffer.from("garbage")))).toBe("LLMUX_ERR_INVALID_BODY");
    expect(codeOf(() => extractModel("multipart", "multipart/form-data", Buffer.from("")))).toBe("LLMUX_ERR_INVALID_BODY");
    expect(codeOf(() => extractModel("multipart", "application/json", Buffer.from('{"model":"a"}')))).toBe("LLMUX_ERR_UNSUPPORTED_MEDIA_TYPE");
  });
});
