/**
 * vllm-sim's knobs for a level-2 wake that costs `totalMs` in all. llmux
 * wakes a level-2 sleeper in three calls (wake the weights, reload them, wake
 * the KV cache), and the simulator charges `wake2-ms` for each wake call and
 * `reload-ms` for the reload; a model of the switch (the trace simulator, a
 * bound in a test) has one figure for the whole. The reload from disk is most
 * of it, as in the realistic preset (3 s of 4 s).
 */
export function levelTwoWakeKnobs(totalMs: number): { "wake2-ms": number; "reload-ms": number } {
  const wakeCall = Math.max(1, Math.round(totalMs / 8));
  return { "wake2-ms": wakeCall, "reload-ms": Math.max(1, totalMs - 2 * wakeCall) };
}
