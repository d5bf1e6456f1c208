"""Write the llmux config for the GPU benchmark: three engine-backed models, one per sleep level.

    python3 bench_config.py --out config.json --engine ./vllm-engine --log-dir logs \
        --size-gb 8 --utilization 0.6 --gpu-memory-gib 140 [--backend torch] [--pinned-buffers alloc]

Each model's fraction is `--utilization`; with 0.6 two models add up to more
than 1, so llmux keeps exactly one awake, and each engine really reserves
that fraction of the card (weights + KV cache pool), as vLLM would.
"""

from __future__ import annotations

import argparse
import json
import os

MODELS = (("engine-l1", 1), ("engine-l2", 2), ("engine-l3", 3))


def build_config(options: argparse.Namespace) -> dict:
    log_dir = os.path.abspath(options.log_dir)
    models = {}
    for index, (name, level) in enumerate(MODELS):
        env = {
            "LLMUX_ENGINE_BACKEND": options.backend,
            "LLMUX_ENGINE_SIZE_GB": str(options.size_gb),
            "LLMUX_ENGINE_PINNED_BUFFERS": options.pinned_buffers,
            "LLMUX_ENGINE_CACHE_DIR": os.path.abspath(options.cache_dir),
            "LLMUX_ENGINE_LOG": os.path.join(log_dir, f"{name}.log"),
            "PYTHONUNBUFFERED": "1",
            # If a stopped engine's memory comes back late, wait (logged) rather than fail the start.
            "LLMUX_ENGINE_STARTUP_MEMORY_WAIT_S": "15",
        }
        if options.fake_ms:
            env["LLMUX_ENGINE_FAKE_MS"] = options.fake_ms
        models[name] = {
            "model_path": f"llmux-bench/random-llama-{name}",
            "port": options.base_port + 1 + index,
            "sleep_level": level,
            "gpu_memory_utilization": options.utilization,
            "env": env,
            "startup_timeout_secs": options.startup_timeout_secs,
        }
    return {
        "port": options.base_port,
        "host": "127.0.0.1",
        "metrics_port": 0,
        "vllm_command": os.path.abspath(options.engine),
        "vllm_logging": True,
        "gpu": {"memory_gib": options.gpu_memory_gib, "sleep_reserve_gib": 1},
        "policy": {"request_timeout_secs": options.request_timeout_secs, "sleep_timeout_secs": 120,
                   "wake_timeout_secs": 300, "stop_grace_secs": 10},
        "models": models,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--engine", required=True, help="the vllm-engine wrapper (llmux's vllm_command)")
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--backend", default="torch", choices=("torch", "fake"))
    parser.add_argument("--size-gb", type=float, default=6.0)
    parser.add_argument("--pinned-buffers", default="alloc", choices=("alloc", "keep"))
    parser.add_argument("--utilization", type=float, default=0.6)
    parser.add_argument("--gpu-memory-gib", type=float, default=140.0)
    parser.add_argument("--base-port", type=int, default=3300)
    parser.add_argument("--fake-ms", default="")
    parser.add_argument("--request-timeout-secs", type=int, default=240)
    parser.add_argument("--startup-timeout-secs", type=int, default=180)
    options = parser.parse_args()
    os.makedirs(options.log_dir, exist_ok=True)
    with open(options.out, "w", encoding="utf-8") as handle:
        json.dump(build_config(options), handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
