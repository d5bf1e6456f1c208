/** vLLM's `--max-num-seqs` in `extra_args` (`--max-num-seqs N` or `--max-num-seqs=N`): its value, and the index of the value. */
export function maxNumSeqs(extraArgs: readonly string[]): { value: string | undefined; index: number } | undefined {
  let found: { value: string | undefined; index: number } | undefined;
  // vLLM's argument parser keeps the last occurrence.
  extraArgs.forEach((arg, index) => {
    if (arg === "--max-num-seqs") found = { value: extraArgs[index + 1], index: index + 1 };
    else if (arg.startsWith("--max-num-seqs=")) found = { value: arg.slice("--max-num-seqs=".length), index };
  });
  return found;
}
