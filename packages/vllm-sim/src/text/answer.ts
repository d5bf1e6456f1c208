import { fnv1a, seededRandom } from "./hash.js";
import { vocabulary } from "./tokens.js";

export interface AnswerInput {
  /** The served model name the request used. */
  model: string;
  /** A canonical text of the input (prompt, or the chat messages). */
  input: string;
  temperature: number | undefined;
  seed: number | undefined;
  /** True after a level-2 wake without `reload_weights`: the weights are garbage. */
  garbageWeights: boolean;
  /** vLLM's `ignore_eos`: keep generating to this many tokens instead of stopping naturally. */
  ignoreEosUntil?: number;
}

export interface Answer {
  /** Every token the model would produce before stopping on its own. */
  tokens: string[];
}

const garbage = "ꙮ ▒▒ ##@ ¿¿ ░x ���� ]]]] ~~~ ∂∂ ⌘⌘ ØØ";

/**
 * What the simulated model says. With temperature 0 or a seed the answer is a
 * pure function of (served model name, input, seed), so answers can be
 * compared across a sleep/wake cycle. The first token names the model
 * (`[model]`) so a test can tell which server answered. The natural length
 * (8–40 tokens) decides between finish_reason "stop" and "length".
 */
export function generateAnswer(request: AnswerInput): Answer {
  const deterministic = request.temperature === 0 || request.seed !== undefined;
  const seed = deterministic ? fnv1a(`${request.model}\u0000${request.input}\u0000${request.seed ?? "greedy"}`) : Math.floor(Math.random() * 2 ** 32);
  const random = seededRandom(seed);
  const natural = 8 + Math.floor(random() * 33);
  const length = request.ignoreEosUntil === undefined ? natural : Math.max(natural, request.ignoreEosUntil);
  const tokens = [`[${request.model}]`];
  if (request.garbageWeights) {
    // vLLM #29341: weights that were discarded at level 2 and not reloaded produce noise.
    const noise = garbage.split(" ");
    const garbageRandom = seededRandom(Math.floor(Math.random() * 2 ** 32));
    tokens[0] = noise[0] as string;
    while (tokens.length < length) tokens.push(noise[Math.floor(garbageRandom() * noise.length)] as string);
    return { tokens };
  }
  while (tokens.length < length) tokens.push(vocabulary[Math.floor(random() * vocabulary.length)] as string);
  return { tokens };
}
