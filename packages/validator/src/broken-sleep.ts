/**
 * vLLM #32714: from 0.14.0 until the release carrying PR #32947 (taken as
 * 0.17.0), sleep frees almost no GPU memory at any level. Suffixes such as
 * `rc1` or `+cu128` count as their base version; an unparsable version is not
 * flagged (the memory check still catches the bug).
 */
export function inBrokenSleepRange(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major === 0 && minor >= 14 && minor < 17;
}
