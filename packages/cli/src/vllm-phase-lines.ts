/**
 * The lines of vLLM's start-up log that mark progress through a cold start
 * (which takes minutes on a real model). They are logged at info even when
 * `vllm_logging` is false, so a long start never looks like a hang.
 * Phrases as vLLM v0.13 prints them (see docs/vllm-api.md).
 */
const PHASE_PATTERNS: readonly RegExp[] = [
  /vLLM API server version/,
  /Loading weights took/,
  /Model loading took/,
  /Graph capturing finished/,
  /init engine .*took/,
  /Starting vLLM API server/,
  /Application startup complete/,
];

export function isPhaseLine(line: string): boolean {
  return PHASE_PATTERNS.some((pattern) => pattern.test(line));
}

/**
 * The line without vLLM's prefix (`(APIServer pid=12) INFO 11-30 01:02:03 [api_server.py:1] `),
 * which repeats what the log line already says.
 */
export function stripVllmPrefix(line: string): string {
  return line
    .replace(/^\((?:APIServer|EngineCore[^)]*) pid=\d+\)\s*/, "")
    .replace(/^(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s+\[[^\]]*\]\s*/, "")
    .trimEnd();
}
