import { connect } from "node:net";
import { usedPerGpu } from "../gpu/gpu-records.js";

/** True when something accepts connections on host:port already. */
export function portTaken(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  const target = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return new Promise((resolve) => {
    const socket = connect({ host: target, port });
    const done = (taken: boolean): void => {
      socket.destroy();
      resolve(taken);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const gib = (mib: number): string => (mib / 1024).toFixed(2);

/**
 * vLLM's start-up memory check: the requested fraction of the card's total
 * must be free on every GPU the server uses. Returns the error line, or
 * undefined when it fits.
 */
export function checkStartupMemory(options: {
  stateDir: string;
  gpuCount: number;
  gpuTotalMib: number;
  gpus: number[];
  utilization: number;
  weightsMib: number;
  contextMib: number;
}): string | undefined {
  const used = usedPerGpu(options.stateDir, options.gpuCount, process.pid);
  const requested = options.utilization * options.gpuTotalMib;
  for (const index of options.gpus) {
    if (index >= options.gpuCount) {
      return `RuntimeError: CUDA error: invalid device ordinal (GPU ${index} requested, ${options.gpuCount} simulated)`;
    }
    const free = options.gpuTotalMib - (used[index] ?? 0);
    if (free < requested) {
      return (
        `ValueError: Free memory on device cuda:${index} (${gib(free)}/${gib(options.gpuTotalMib)} GiB) on startup is less than desired ` +
        `GPU memory utilization (${options.utilization}, ${gib(requested)} GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.`
      );
    }
  }
  if (options.weightsMib + options.contextMib >= requested) {
    return "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.";
  }
  return undefined;
}
