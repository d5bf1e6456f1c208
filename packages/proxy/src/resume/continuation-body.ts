import type { ResumablePlan } from "./resumable.js";

/**
 * The body of one part of a resumable request. Every part streams with usage
 * on each chunk, so llmux knows at any moment what was produced. Parts after
 * the first continue the text so far, as vLLM defines it: chat puts it as the
 * last assistant message with `continue_final_message: true` and
 * `add_generation_prompt: false`; completions append it to the prompt. The
 * token limit drops by what the earlier parts produced.
 */
export function partBody(plan: ResumablePlan, model: string, textSoFar: string, tokensSoFar: number, part: number): Buffer {
  const body: Record<string, unknown> = { ...plan.body, model, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } };
  if (part > 0) {
    if (plan.kind === "chat") {
      body.messages = [...(plan.body.messages as unknown[]), { role: "assistant", content: textSoFar }];
      body.continue_final_message = true;
      body.add_generation_prompt = false;
    } else {
      const prompt = plan.body.prompt;
      body.prompt = `${Array.isArray(prompt) ? String(prompt[0]) : String(prompt)}${textSoFar}`;
    }
    if (plan.maxField !== undefined && plan.maxTokens !== undefined) body[plan.maxField] = Math.max(1, plan.maxTokens - tokensSoFar);
  }
  return Buffer.from(JSON.stringify(body));
}
