/** What `vllm-sim --help` prints: the command line llmux and tests use, and where the rest is documented. */
export const USAGE = `usage: vllm-sim serve <model_path> [vLLM options] [--sim-<knob> <value> ...]
       vllm-sim --version | --sim-package-version | --help

A simulated vLLM v0.13 OpenAI-compatible server (no GPU): start-up, the OpenAI
routes with streaming, the dev-mode sleep/wake API and its crashes, and
simulated GPU memory shared with vllm-sim-smi.

vLLM options it acts on:
  --host HOST                       address to listen on (default 0.0.0.0)
  --port PORT                       port to listen on (default 8000)
  --uds PATH                        serve on this Unix socket instead of host and port
  --served-model-name NAME [NAME...]
                                    names requests may use (default: model_path)
  --enable-sleep-mode               without it, sleeping frees no memory
  --gpu-memory-utilization F        share of each GPU held while awake (default 0.9)
  --tensor-parallel-size N, -tp N   GPUs used (default 1)
  --max-model-len N                 context length shown in the model card (default 4096)
  --api-key KEY                     require Authorization: Bearer KEY under /v1
  any other vLLM flag is accepted and logged.

Environment:
  VLLM_SERVER_DEV_MODE=1            register the sleep/wake routes, as vLLM does
  VLLM_SIM_<KNOB>                   same as --sim-<knob> (timings, faults, GPU size,
                                    state-dir, event-log, ...); the flag wins

  --version prints the simulated vLLM version; --sim-package-version this
  package's version. The knobs are listed in the @llmux/vllm-sim README.
`;
