"""Real weights in real GPU memory: a random-weight Llama built with transformers.

Shape: Llama-2-7B's layer (hidden 4096, MLP 11008, 32 heads, vocabulary 32000)
with as many layers as the requested size needs (`--size-gb`, default 14 GB
of bf16 weights: 34 layers); smaller sizes use narrower layers. The weights
come from a fixed seed (`--weights-seed`, default derived from the model path)
so answers are reproducible, and are saved once to a safetensors file in
`--cache-dir`; a start reads that file when it exists, as vLLM reads its
checkpoint. After loading, the rest of `--gpu-memory-utilization` x total is
reserved as the "KV cache pool", as vLLM does, so a model holds on the GPU
what a vLLM server of that setting would hold.

Sleep (what vLLM v0.13's CuMemAllocator does, with the same costs):
- level 1: each weight is copied to a pinned host buffer, then the GPU
  memory (weights and pool) is returned to the driver. `--pinned-buffers
  alloc` (default, as vLLM v0.13) allocates those buffers at every sleep,
  first emptying torch's pinned-memory cache so the allocation is really paid;
  `keep` allocates them once and keeps them.
- level 2: weights and pool are dropped. A wake of `weights` allocates fresh
  memory that holds garbage (vLLM #29341) until `reload_weights` reads the
  safetensors file into it.
torch is imported only in `load()` so this module's pure parts run anywhere.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Callable

from engine_backend import StartupError
from engine_text import EOS_ID
from llama_shape import BYTES_PER_PARAM, llama_shape, torch_dtype_name

GIB = 1024**3
# What the CUDA context and torch's own buffers take outside the caching allocator (estimate).
CONTEXT_BYTES = int(0.75 * GIB)
# Room kept free for activations during a forward pass, as vLLM's profile run keeps.
ACTIVATION_HEADROOM = 1 * GIB
GARBAGE_SEED = 0x5A5A5A5A
INIT_STD = 0.02


class TorchBackend:
    vocab_size = 32000

    def __init__(self, args, log) -> None:
        self._args = args
        self._log = log
        self._dtype_name = torch_dtype_name(args.dtype)
        self.shape = llama_shape(args.size_gb, BYTES_PER_PARAM[self._dtype_name])
        self.weight_bytes = self.shape.params * BYTES_PER_PARAM[self._dtype_name]
        self._path = os.path.join(args.cache_dir, f"llama-{self.shape.tag()}-{self._dtype_name}-seed{args.weights_seed}.safetensors")
        self.torch = None
        self._model = None
        self._params: list = []  # (name, Parameter), in a fixed order
        self._host: dict = {}  # level-1 pinned copies, by name
        self._offloaded = False
        self._kv = None
        self._kv_bytes = 0
        self._empty = None
        self._shapes: dict = {}

    def describe(self) -> str:
        s = self.shape
        return (f"torch backend: random-weight Llama, {s.layers} layers x hidden {s.hidden}, {s.params / 1e9:.2f} B params, "
                f"{self.weight_bytes / 1e9:.2f} GB {self._dtype_name}, seed {self._args.weights_seed}, "
                f"pinned buffers: {self._args.pinned_buffers}, weights file {self._path}")

    # --- start-up ----------------------------------------------------------------
    def _import(self) -> float:
        started = time.perf_counter()
        import torch  # noqa: PLC0415 - only where a GPU is
        import transformers  # noqa: F401, PLC0415

        self.torch = torch
        return time.perf_counter() - started

    def _check_memory(self) -> tuple[int, int]:
        torch = self.torch
        if not torch.cuda.is_available():
            raise StartupError("RuntimeError: No CUDA GPUs are available")
        torch.cuda.set_device(0)
        free, total = torch.cuda.mem_get_info()
        requested = self._args.gpu_memory_utilization * total
        # vLLM checks once. `--startup-memory-wait-s` (default 0) polls a while instead, for when a
        # process that just exited has not yet given its memory back; the wait is logged.
        waited_from = time.perf_counter()
        while free < requested and time.perf_counter() - waited_from < self._args.startup_memory_wait_s:
            time.sleep(0.1)
            free, total = torch.cuda.mem_get_info()
        waited = time.perf_counter() - waited_from
        if waited >= 0.1 and free >= requested:
            self._log.warning("gpu_worker.py:200", f"waited {waited:.2f} seconds for {requested / GIB:.2f} GiB of GPU memory to be free", "EngineCore_DP0")
        if free < requested:
            raise StartupError(
                f"ValueError: Free memory on device cuda:0 ({free / GIB:.2f}/{total / GIB:.2f} GiB) on startup is less than "
                f"desired GPU memory utilization ({self._args.gpu_memory_utilization}, {requested / GIB:.2f} GiB). "
                "Decrease GPU memory utilization or reduce GPU memory used by other processes.")
        return free, total

    def _build(self):
        """The model on the GPU, with transformers' own random init (overwritten by the caller)."""
        torch = self.torch
        from transformers import LlamaConfig, LlamaForCausalLM  # noqa: PLC0415

        s = self.shape
        config = LlamaConfig(vocab_size=s.vocab, hidden_size=s.hidden, intermediate_size=s.intermediate,
                             num_hidden_layers=s.layers, num_attention_heads=s.heads, num_key_value_heads=s.heads,
                             max_position_embeddings=max(4096, self._args.max_model_len), tie_word_embeddings=False,
                             bos_token_id=1, eos_token_id=EOS_ID, pad_token_id=0)
        dtype = getattr(torch, self._dtype_name)
        previous = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            with torch.device("cuda"):
                model = LlamaForCausalLM(config)
        finally:
            torch.set_default_dtype(previous)
        model.eval()
        model.requires_grad_(False)
        # Not `model.to(dtype)`: that would also round the float32 rotary buffers. Only the
        # parameters are cast, and only if the default dtype did not already make them so.
        for param in model.parameters():
            if param.dtype != dtype:
                param.data = param.data.to(dtype)
        self._model = model
        self._params = sorted(model.named_parameters(), key=lambda item: item[0])
        # A released weight is a 0-element tensor; its shape is kept here for the wake.
        self._shapes = {name: tuple(param.shape) for name, param in self._params}
        self._empty = torch.empty(0, dtype=dtype, device="cuda")
        return model

    def _init_seeded(self, seed: int) -> None:
        """Fill every weight from `seed`: norms 1, matrices N(0, 0.02). Independent of transformers' own init."""
        torch = self.torch
        generator = torch.Generator(device="cuda")
        generator.manual_seed(seed)
        with torch.no_grad():
            for _name, param in self._params:
                if param.dim() == 1:
                    param.fill_(1.0)
                else:
                    param.normal_(0.0, INIT_STD, generator=generator)
        torch.cuda.synchronize()

    def _save(self) -> None:
        from safetensors.torch import save_file  # noqa: PLC0415

        os.makedirs(os.path.dirname(self._path), exist_ok=True)
        temp = f"{self._path}.{os.getpid()}.tmp"
        save_file({name: param.data.contiguous() for name, param in self._params}, temp)
        os.replace(temp, self._path)

    def _read_into_params(self) -> None:
        """Copy the file's tensors into the allocated weight memory (vLLM's in-place reload)."""
        torch = self.torch
        from safetensors import safe_open  # noqa: PLC0415

        with torch.no_grad(), safe_open(self._path, framework="pt", device="cpu") as handle:
            for name, param in self._params:
                param.data.copy_(handle.get_tensor(name))
        torch.cuda.synchronize()

    def prepare_weights_file(self) -> dict[str, float]:
        phases = {"import_s": self._import()}
        if os.path.exists(self._path):
            return phases
        if not self.torch.cuda.is_available():
            raise StartupError("RuntimeError: No CUDA GPUs are available")
        t = time.perf_counter()
        self._build()
        self._init_seeded(self._args.weights_seed)
        phases["init_s"] = time.perf_counter() - t
        t = time.perf_counter()
        self._save()
        phases["save_file_s"] = time.perf_counter() - t
        return phases

    def close(self) -> None:
        """Free the GPU memory (build-weights builds several models in one process)."""
        self._model = None
        self._params = []
        self._host = {}
        self._kv = None
        gc.collect()
        if self.torch is not None and self.torch.cuda.is_available():
            self.torch.cuda.empty_cache()

    def load(self) -> dict[str, float]:
        phases = {"import_s": self._import()}
        torch = self.torch
        free_before, total = self._check_memory()
        budget = self._args.gpu_memory_utilization * total
        started = time.perf_counter()
        t = time.perf_counter()
        self._build()
        phases["build_s"] = time.perf_counter() - t
        if os.path.exists(self._path):
            t = time.perf_counter()
            self._read_into_params()
            phases["read_file_s"] = time.perf_counter() - t
        else:
            t = time.perf_counter()
            self._init_seeded(self._args.weights_seed)
            phases["init_s"] = time.perf_counter() - t
            t = time.perf_counter()
            self._save()
            phases["save_file_s"] = time.perf_counter() - t
        phases["weights_s"] = time.perf_counter() - started
        t = time.perf_counter()
        self.generate([1, 2, 3], 2, lambda _token: True)  # warm-up: cuBLAS handles, kernels
        phases["warmup_s"] = time.perf_counter() - t
        torch.cuda.empty_cache()
        held = free_before - torch.cuda.mem_get_info()[0]
        self._kv_bytes = int(budget - CONTEXT_BYTES - held - ACTIVATION_HEADROOM)
        if self._kv_bytes <= 0:
            raise StartupError("ValueError: No available memory for the cache blocks. Try increasing "
                               "`gpu_memory_utilization` when initializing the engine.")
        t = time.perf_counter()
        self._allocate_kv()
        phases["kv_alloc_s"] = time.perf_counter() - t
        self._log.info("gpu_worker.py:300", f"Available KV cache memory: {self._kv_bytes / GIB:.2f} GiB", "EngineCore_DP0")
        return phases

    def _allocate_kv(self) -> None:
        self._kv = self.torch.empty(self._kv_bytes, dtype=self.torch.uint8, device="cuda")
        self.torch.cuda.synchronize()

    # --- inference -----------------------------------------------------------------
    def generate(self, prompt_ids: list[int], max_tokens: int, emit: Callable[[int], bool]) -> str:
        torch = self.torch
        model = self._model
        with torch.inference_mode():
            output = model(input_ids=torch.tensor([prompt_ids], device="cuda"), use_cache=True)
            for step in range(max_tokens):
                token = int(output.logits[0, -1].argmax())
                if not emit(token):
                    return "abort"
                if token == EOS_ID:
                    return "stop"
                if step + 1 == max_tokens:
                    break
                output = model(input_ids=torch.tensor([[token]], device="cuda"),
                               past_key_values=output.past_key_values, use_cache=True)
        return "length"

    # --- sleep and wake --------------------------------------------------------------
    def _release_gpu(self) -> float:
        torch = self.torch
        started = time.perf_counter()
        for _name, param in self._params:
            param.data = self._empty
        self._kv = None
        torch.cuda.synchronize()
        torch.cuda.empty_cache()  # back to the driver, so nvidia-smi sees it freed
        return time.perf_counter() - started

    def sleep(self, level: int) -> dict[str, float]:
        torch = self.torch
        torch.cuda.synchronize()
        phases: dict[str, float] = {}
        if level == 1:
            if self._args.pinned_buffers == "alloc":
                t = time.perf_counter()
                self._host = {}
                empty_host_cache = getattr(torch._C, "_host_emptyCache", None)
                if empty_host_cache is not None:
                    empty_host_cache()  # else torch would hand back last sleep's cached pinned blocks
                phases["free_cached_pinned_s"] = time.perf_counter() - t
                # 0: this torch cannot empty its pinned cache, so later sleeps may reuse old buffers.
                phases["host_cache_emptied"] = 1 if empty_host_cache is not None else 0
            t = time.perf_counter()
            for name, param in self._params:
                if name not in self._host:
                    self._host[name] = torch.empty(param.shape, dtype=param.dtype, device="cpu", pin_memory=True)
            phases["alloc_pinned_s"] = time.perf_counter() - t
            t = time.perf_counter()
            for name, param in self._params:
                self._host[name].copy_(param.data, non_blocking=True)
            torch.cuda.synchronize()
            phases["copy_to_host_s"] = time.perf_counter() - t
            phases["copy_gb_per_s"] = self.weight_bytes / 1e9 / max(phases["copy_to_host_s"], 1e-9)
            self._offloaded = True
        else:
            self._offloaded = False
        phases["free_gpu_s"] = self._release_gpu()
        return phases

    def wake(self, tags: list[str]) -> dict[str, float]:
        torch = self.torch
        phases: dict[str, float] = {}
        if "weights" in tags:
            t = time.perf_counter()
            for name, param in self._params:
                param.data = torch.empty(self._shapes[name], dtype=self._empty.dtype, device="cuda")
            torch.cuda.synchronize()
            phases["alloc_gpu_s"] = time.perf_counter() - t
            if self._offloaded:
                t = time.perf_counter()
                for name, param in self._params:
                    param.data.copy_(self._host[name], non_blocking=True)
                torch.cuda.synchronize()
                phases["copy_to_gpu_s"] = time.perf_counter() - t
                phases["copy_gb_per_s"] = self.weight_bytes / 1e9 / max(phases["copy_to_gpu_s"], 1e-9)
                if self._args.pinned_buffers == "alloc":
                    self._host = {}  # to torch's pinned cache; emptied before the next sleep allocates
                self._offloaded = False
            else:
                # Fresh memory is not the weights: fill it with other random values so the
                # answer is reproducibly wrong until reload_weights (vLLM #29341).
                t = time.perf_counter()
                generator = torch.Generator(device="cuda")
                generator.manual_seed(GARBAGE_SEED)
                with torch.no_grad():
                    for _name, param in self._params:
                        param.data.normal_(0.0, INIT_STD, generator=generator)
                torch.cuda.synchronize()
                phases["garbage_fill_s"] = time.perf_counter() - t
        if "kv_cache" in tags:
            t = time.perf_counter()
            self._allocate_kv()
            phases["kv_alloc_s"] = time.perf_counter() - t
        return phases

    def reload_weights(self) -> dict[str, float]:
        t = time.perf_counter()
        self._read_into_params()
        elapsed = time.perf_counter() - t
        return {"read_file_s": elapsed, "read_gb_per_s": self.weight_bytes / 1e9 / max(elapsed, 1e-9)}

    def used_bytes(self) -> int:
        if self.torch is None:
            return 0
        free, total = self.torch.cuda.mem_get_info()
        return total - free
