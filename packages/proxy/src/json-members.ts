import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, NINE, OPEN_BRACE, OPEN_BRACKET, QUOTE, ZERO, skipSpace, skipString } from "./json-bytes.js";

const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");
const MAX_DEPTH = 4096;

/** Where a member's value lies in the body: `body.subarray(start, end)` is its JSON text. */
interface MemberValue {
  start: number;
  end: number;
}

/**
 * Check that `body` is one JSON object, exactly as `JSON.parse` would accept
 * it, and say where the values of the top-level members named in `wanted`
 * are (the last one of each name, as `JSON.parse` keeps), without decoding
 * the body to text or building its objects: for a large upload those would
 * be two more copies of it. Undefined when the body is anything else (not
 * JSON, or JSON but not an object) or nests deeper than 4,096 levels; the
 * caller then parses it, to say why or to read it.
 * Bytes are read as UTF-8 decoding would give them: only ASCII bytes carry
 * JSON's syntax, and any other byte is allowed inside a string only (a
 * malformed sequence decodes to U+FFFD, which is allowed there too).
 */
export function topLevelMembers(body: Buffer, wanted: ReadonlySet<string>): Map<string, MemberValue> | undefined {
  const found = new Map<string, MemberValue>();
  // Open containers: true for an object, false for an array.
  const open: boolean[] = [];
  let index = skipSpace(body, 0);
  if (body[index] !== OPEN_BRACE) return undefined;
  /** The top-level member whose value is being read, when it is one of `wanted`. */
  let member: string | undefined;
  let memberStart = 0;
  /** A key comes before the value at `index` (the first member of an object, or one after a comma). */
  let keyFirst = false;
  // Each turn reads one value (at `index`, after its key in an object), then what follows it: closing brackets and a comma.
  for (;;) {
    if (keyFirst) {
      keyFirst = false;
      index = readKey(body, index);
      if (index === -1) return undefined;
      if (open.length === 1) {
        member = topLevelKey(body, keyStart, keyEnd, wanted);
        memberStart = index;
      }
    }
    const byte = body[index];
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      // Deeper than any request needs: left to JSON.parse rather than holding a stack as large as the body.
      if (open.length === MAX_DEPTH) return undefined;
      open.push(byte === OPEN_BRACE);
      index = skipSpace(body, index + 1);
      if (body[index] !== (byte === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)) {
        keyFirst = byte === OPEN_BRACE;
        continue;
      }
      open.pop();
      index++;
    } else if (byte === QUOTE) {
      index = skipString(body, index);
    } else if (byte === MINUS || isDigit(byte)) {
      index = skipNumber(body, index);
    } else if (byte === 0x74) {
      index = literal(body, index, TRUE);
    } else if (byte === 0x66) {
      index = literal(body, index, FALSE);
    } else if (byte === 0x6e) {
      index = literal(body, index, NULL);
    } else {
      return undefined;
    }
    if (index === -1) return undefined;
    for (;;) {
      if (open.length === 1 && member !== undefined) {
        found.set(member, { start: memberStart, end: index });
        member = undefined;
      }
      if (open.length === 0) return skipSpace(body, index) === body.length ? found : undefined;
      index = skipSpace(body, index);
      const inObject = open[open.length - 1] as boolean;
      const next = body[index];
      if (next === (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
        open.pop();
        index++;
        continue;
      }
      if (next !== COMMA) return undefined;
      index = skipSpace(body, index + 1);
      keyFirst = inObject;
      break;
    }
  }
}

// The last key `readKey` read (module state rather than an object per key: large bodies have millions).
let keyStart = 0;
let keyEnd = 0;

/** Read `"key"` `:` at `from`; the index of the value after it, or -1. */
function readKey(body: Buffer, from: number): number {
  if (body[from] !== QUOTE) return -1;
  const end = skipString(body, from);
  if (end === -1) return -1;
  keyStart = from;
  keyEnd = end;
  const colon = skipSpace(body, end);
  return body[colon] === COLON ? skipSpace(body, colon + 1) : -1;
}

/** The name of the key in `body[start, end)` when it is one of `wanted`. */
function topLevelKey(body: Buffer, start: number, end: number, wanted: ReadonlySet<string>): string | undefined {
  const raw = body.subarray(start, end);
  // A key with escapes may still spell a wanted name (`"mod\u0065l"`).
  const name = raw.includes(BACKSLASH) ? (JSON.parse(raw.toString("utf8")) as string) : raw.toString("latin1", 1, raw.length - 1);
  return wanted.has(name) ? name : undefined;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= ZERO && byte <= NINE;
}

/** Past the number at `from` (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`), or -1. */
function skipNumber(body: Buffer, from: number): number {
  let index = from;
  if (body[index] === MINUS) index++;
  if (body[index] === ZERO) index++;
  else if (isDigit(body[index])) while (isDigit(body[index])) index++;
  else return -1;
  if (body[index] === DOT) {
    index++;
    if (!isDigit(body[index])) return -1;
    while (isDigit(body[index])) index++;
  }
  if (body[index] === 0x65 || body[index] === 0x45) {
    index++;
    if (body[index] === PLUS || body[index] === MINUS) index++;
    if (!isDigit(body[index])) return -1;
    while (isDigit(body[index])) index++;
  }
  return index;
}

function literal(body: Buffer, from: number, word: Buffer): number {
  const end = from + word.length;
  return end <= body.length && body.compare(word, 0, word.length, from, end) === 0 ? end : -1;
}
