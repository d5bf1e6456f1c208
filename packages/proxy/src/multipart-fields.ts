import { InvalidBodyError } from "./errors.js";

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_PART_HEADERS = 16 * 1024;
const MAX_FIELD_VALUE = 64 * 1024;

/** One part of a form: its field name and where its content lies in the body. */
interface FormPart {
  name: string | undefined;
  contentStart: number;
  contentEnd: number;
}

/**
 * The parts of a buffered multipart/form-data body, scanned in place with
 * `indexOf`: only part headers are decoded, so a large file part costs a
 * scan, never a copy. Throws InvalidBodyError on a malformed form.
 */
function* formParts(body: Buffer, boundary: string): Generator<FormPart> {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);

  let position = body.indexOf(delimiter);
  if (position === -1) throw new InvalidBodyError("Malformed multipart body: no boundary found.");
  for (;;) {
    position += delimiter.length;
    // `--` after a delimiter closes the form.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return;
    if (body.compare(CRLF, 0, 2, position, position + 2) !== 0) {
      throw new InvalidBodyError("Malformed multipart body: boundary not followed by CRLF.");
    }
    position += 2;
    const headerEnd = body.indexOf(HEADER_END, position);
    if (headerEnd === -1 || headerEnd - position > MAX_PART_HEADERS) {
      throw new InvalidBodyError("Malformed multipart body: part headers not terminated.");
    }
    const name = fieldName(body.toString("latin1", position, headerEnd));
    const contentStart = headerEnd + HEADER_END.length;
    const contentEnd = body.indexOf(nextDelimiter, contentStart);
    if (contentEnd === -1) throw new InvalidBodyError("Malformed multipart body: part not terminated.");
    yield { name, contentStart, contentEnd };
    position = contentEnd + CRLF.length;
  }
}

/** The values of the named (small) text fields of a buffered multipart/form-data body; the first of each name wins. */
export function findFormFields(body: Buffer, boundary: string, names: readonly string[]): Map<string, string> {
  const wanted = new Set(names);
  const found = new Map<string, string>();
  for (const { name, contentStart, contentEnd } of formParts(body, boundary)) {
    if (name !== undefined && wanted.has(name) && !found.has(name) && contentEnd - contentStart <= MAX_FIELD_VALUE) {
      found.set(name, body.toString("utf8", contentStart, contentEnd));
    }
  }
  return found;
}

/** The body with the content of the first field `name` replaced by `value` (unchanged when there is none). */
export function replaceFormField(body: Buffer, boundary: string, name: string, value: string): Buffer {
  for (const part of formParts(body, boundary)) {
    if (part.name !== name) continue;
    return Buffer.concat([body.subarray(0, part.contentStart), Buffer.from(value, "utf8"), body.subarray(part.contentEnd)]);
  }
  return body;
}

/** The `name` of a part from its Content-Disposition header, if any. */
function fieldName(headers: string): string | undefined {
  for (const line of headers.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== "content-disposition") continue;
    const match = /;\s*name="([^"]*)"|;\s*name=([^\s;]+)/i.exec(line.slice(colon + 1));
    return match?.[1] ?? match?.[2];
  }
  return undefined;
}
