import { fnv1a } from "./hash.js";

/**
 * The simulator's tokenizer: a token is a word (whitespace-separated). Words
 * of the built-in vocabulary have small ids; any other word gets a stable
 * hashed id, remembered so `/detokenize` can turn it back.
 */
export const vocabulary: readonly string[] = (
  "the of and to in is that it for on as with was be by this are at from or an have not " +
  "which but one all were they we when there can been has more will their if would who so " +
  "about out up into them some could time these two may then do first any my now such like " +
  "our over man me even most made after also did many before must through back years where " +
  "much your way well down should because each just those people how too little state good " +
  "very make world still own see men work long get here between both life being under never " +
  "day same another know while last might us great old year off come since against go came " +
  "right used take three model answer light river stone cloud garden signal paper window"
).split(" ");

const vocabularyIds = new Map(vocabulary.map((word, index) => [word, index + 1000]));
const learned = new Map<number, string>();

export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word.length > 0);
}

export function tokenId(word: string): number {
  const known = vocabularyIds.get(word);
  if (known !== undefined) return known;
  const id = 100_000 + (fnv1a(word) % 1_000_000_000);
  learned.set(id, word);
  return id;
}

export function tokenize(text: string): number[] {
  return splitWords(text).map(tokenId);
}

export function detokenize(ids: readonly number[]): string {
  return ids.map((id) => (id >= 1000 && id < 1000 + vocabulary.length ? vocabulary[id - 1000] : learned.get(id)) ?? `<tok${id}>`).join(" ");
}

export function countTokens(text: string): number {
  return splitWords(text).length;
}
