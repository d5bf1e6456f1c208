/**
 * `VLLM_SERVER_DEV_MODE` as vLLM reads it: `bool(int(os.getenv(..., "0")))`.
 * Python's `int()` accepts surrounding whitespace, a sign and `_` between
 * digits; anything else (`true`, an empty string) raises ValueError, which
 * makes `vllm serve` exit at start-up.
 */
export type DevMode = { ok: true; enabled: boolean } | { ok: false; error: string };

export function parseDevMode(raw: string | undefined): DevMode {
  const text = raw ?? "0";
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(text)) {
    return { ok: false, error: `ValueError: invalid literal for int() with base 10: '${text}'` };
  }
  return { ok: true, enabled: Number(text.replaceAll("_", "").trim()) !== 0 };
}
