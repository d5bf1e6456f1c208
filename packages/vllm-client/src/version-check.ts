/**
 * True when `version` is in the range where vLLM's sleep mode frees almost
 * nothing (weights stay on the GPU at any level): from 0.14.0 up to the release
 * carrying vLLM PR #32947, taken as below 0.17.0 (vLLM issue #32714).
 * Pre-release and local suffixes (`0.14.1rc1`, `0.15.0+cu128`) count as their base version.
 * An unparsable version is not flagged.
 */
export function isBrokenSleepVersion(version: string): boolean {
  const parsed = parseVersion(version);
  if (parsed === undefined) return false;
  const [major, minor] = parsed;
  return major === 0 && minor >= 14 && minor < 17;
}

function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}
