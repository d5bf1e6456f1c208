/** The bytes of JSON's syntax, and readers of JSON text in a Buffer that build no strings. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const ZERO = 0x30;
export const NINE = 0x39;

export function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export function skipSpace(body: Buffer, from: number): number {
  let index = from;
  while (isSpace(body[index])) index++;
  return index;
}

/** Past the string whose quote is at `from`, or -1: no raw control character, only JSON's escapes. */
export function skipString(body: Buffer, from: number): number {
  let index = from + 1;
  for (;;) {
    const byte = body[index];
    if (byte === undefined || byte < 0x20) return -1;
    if (byte === QUOTE) return index + 1;
    if (byte === BACKSLASH) {
      const escaped = body[index + 1];
      if (escaped === 0x75) {
        for (let digit = index + 2; digit < index + 6; digit++) if (!isHex(body[digit])) return -1;
        index += 6;
        continue;
      }
      // " \ / b f n r t
      if (
        escaped !== QUOTE &&
        escaped !== BACKSLASH &&
        escaped !== 0x2f &&
        escaped !== 0x62 &&
        escaped !== 0x66 &&
        escaped !== 0x6e &&
        escaped !== 0x72 &&
        escaped !== 0x74
      )
        return -1;
      index += 2;
      continue;
    }
    index++;
  }
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= ZERO && byte <= NINE) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}
