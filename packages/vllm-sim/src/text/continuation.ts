import { splitWords } from "./tokens.js";

/**
 * Where a continuation starts in the answer the model gives to the original
 * input: the number of answer tokens the partial text already holds when it
 * is a prefix of that answer (the model goes on exactly where it stopped, as
 * greedy decoding does); otherwise the partial is foreign text and the model
 * answers the whole context afresh (`undefined`).
 */
export function continuationOffset(answerTokens: readonly string[], partialText: string): number | undefined {
  const words = splitWords(partialText);
  if (words.length > answerTokens.length) return undefined;
  for (let index = 0; index < words.length; index++) if (words[index] !== answerTokens[index]) return undefined;
  return words.length;
}

/**
 * A completion prompt that ends with the model's own answer so far ("prompt +
 * text so far"): split at the last `[model]` marker, the first token of every
 * answer of the simulated model. Undefined when the prompt holds no marker.
 */
export function splitCompletionPrompt(prompt: string, model: string): { original: string; partial: string } | undefined {
  const at = prompt.lastIndexOf(`[${model}]`);
  if (at === -1) return undefined;
  return { original: prompt.slice(0, at), partial: prompt.slice(at) };
}
