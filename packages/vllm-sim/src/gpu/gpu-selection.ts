/**
 * The GPU indexes a server uses: `CUDA_VISIBLE_DEVICES` when set (as vLLM,
 * through CUDA, would), else `0..tensor_parallel_size-1`.
 */
export function selectGpus(cudaVisibleDevices: string | undefined, tensorParallelSize: number): number[] {
  if (cudaVisibleDevices !== undefined && cudaVisibleDevices.trim() !== "") {
    const indexes = cudaVisibleDevices
      .split(",")
      .map((part) => Number(part.trim()))
      .filter((n) => Number.isInteger(n) && n >= 0);
    return indexes.slice(0, Math.max(tensorParallelSize, 1));
  }
  return Array.from({ length: tensorParallelSize }, (_, i) => i);
}
