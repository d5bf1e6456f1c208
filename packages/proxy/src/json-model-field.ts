/**
 * Replace the value of the top-level `"model"` member of a JSON object body
 * with `model`, leaving every other byte as the client sent it (numbers keep
 * their exact spelling, which a parse-and-stringify would not). The body has
 * already been parsed, so it is valid JSON. Returns the body unchanged when
 * it has no top-level `model` string.
 */
export function replaceModelField(body: Buffer, model: string): Buffer {
  const text = body.toString("utf8");
  let position = skipSpace(text, 0);
  if (text[position] !== "{") return body;
  position = skipSpace(text, position + 1);
  while (position < text.length && text[position] !== "}") {
    const keyEnd = stringEnd(text, position);
    const key = JSON.parse(text.slice(position, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const valueEnd = valueEndAt(text, valueStart);
    if (key === "model" && text[valueStart] === '"') {
      return Buffer.from(text.slice(0, valueStart) + JSON.stringify(model) + text.slice(valueEnd), "utf8");
    }
    position = skipSpace(text, valueEnd);
    if (text[position] === ",") position = skipSpace(text, position + 1);
  }
  return body;
}

function skipSpace(text: string, position: number): number {
  while (position < text.length && (text[position] === " " || text[position] === "\t" || text[position] === "\n" || text[position] === "\r")) position += 1;
  return position;
}

/** The index just past the string that starts at `position` (a `"`). */
function stringEnd(text: string, position: number): number {
  let index = position + 1;
  while (index < text.length && text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
  return index + 1;
}

/** The index just past the JSON value that starts at `position`. */
function valueEndAt(text: string, position: number): number {
  const first = text[position];
  if (first === '"') return stringEnd(text, position);
  if (first !== "{" && first !== "[") {
    let index = position;
    while (index < text.length && !",}] \t\n\r".includes(text[index] as string)) index += 1;
    return index;
  }
  let depth = 0;
  let index = position;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = stringEnd(text, index);
      continue;
    }
    if (char === "{" || char === "[") depth += 1;
    else if (char === "}" || char === "]") {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
    index += 1;
  }
  return index;
}
