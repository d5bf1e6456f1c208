import { InvalidBodyError } from "./errors.js";

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
const MAX_PART_HEADERS = 16 * 1024;
const MAX_FIELD_VALUE = 64 * 1024;

/**
 * Find the values of the named text fields in a buffered multipart/form-data
 * body. The body is scanned in place with `indexOf`; only part headers and the
 * wanted (small) field values are decoded, so a large file part costs a scan,
 * never a copy. Throws InvalidBodyError on a malformed form.
 */
export function findFormFields(body: Buffer, boundary: string, names: readonly string[]): Map<string, string> {
  const wanted = new Set(names);
  const found = new Map<string, string>();
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);

  let position = body.indexOf(delimiter);
  if (position === -1) throw new InvalidBodyError("Malformed multipart body: no boundary found.");
  for (;;) {
    position += delimiter.length;
    // `--` after a delimiter closes the form.
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return found;
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
    if (name !== undefined && wanted.has(name) && !found.has(name) && contentEnd - contentStart <= MAX_FIELD_VALUE) {
      found.set(name, body.toString("utf8", contentStart, contentEnd));
    }
    position = contentEnd + CRLF.length;
  }
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
