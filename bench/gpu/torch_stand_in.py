"""A tiny stand-in for torch, transformers and safetensors, made of numpy, for `test_backend_torch_dry`.

It lets the torch backend's control flow (build, save, load, sleep and wake at
each level, reload, generate) run on a machine without torch, so a slip in
that code is caught before a GPU run. It proves nothing about GPU memory or
speed; run.sh's smoke step checks the real thing on the GPU.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np

bfloat16 = "bfloat16"
float16 = "float16"
float32 = "float32"
uint8 = "uint8"
_NP = {"bfloat16": np.float32, "float16": np.float32, "float32": np.float32, "uint8": np.uint8, "int64": np.int64}
# `free`: values mem_get_info reports first (then "almost everything is free").
_state = {"default_dtype": float32, "total": 80 * 2**30, "host_cache_emptied": 0, "free": []}


class Tensor:
    def __init__(self, array, dtype=float32, device="cpu") -> None:
        self._array = np.asarray(array, dtype=_NP[dtype])
        self.dtype = dtype
        self.device = device

    @property
    def data(self) -> "Tensor":
        return self

    @data.setter
    def data(self, other: "Tensor") -> None:
        self._array, self.dtype, self.device = other._array, other.dtype, other.device

    @property
    def shape(self) -> tuple:
        return self._array.shape

    def dim(self) -> int:
        return self._array.ndim

    def numel(self) -> int:
        return int(self._array.size)

    def fill_(self, value: float) -> "Tensor":
        self._array.fill(value)
        return self

    def normal_(self, mean: float, std: float, generator=None) -> "Tensor":
        rng = generator.rng if generator is not None else np.random.default_rng()
        # Uniform, not normal: cheaper, and only determinism matters here.
        self._array[...] = mean + std * (rng.random(self._array.shape, dtype=np.float32) - 0.5)
        return self

    def copy_(self, other: "Tensor", non_blocking: bool = False) -> "Tensor":
        if other.shape != self.shape:
            raise RuntimeError(f"copy_ shape mismatch {other.shape} vs {self.shape}")
        self._array[...] = other._array
        return self

    def contiguous(self) -> "Tensor":
        return self

    def to(self, dtype) -> "Tensor":
        return Tensor(self._array, dtype, self.device)

    def argmax(self) -> "Tensor":
        return Tensor(np.argmax(self._array), "int64")

    def __int__(self) -> int:
        return int(self._array)

    def __getitem__(self, index) -> "Tensor":
        return Tensor(self._array[index], self.dtype, self.device)


class Parameter(Tensor):
    pass


def empty(*shape, dtype=None, device="cpu", pin_memory=False) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = dtype or _state["default_dtype"]
    if device == "cuda" and dtype == uint8:
        return Tensor(np.zeros(0, np.uint8), uint8, device)  # the pool's size only matters on a GPU
    return Tensor(np.zeros(shape), dtype, device)


def tensor(values, device="cpu") -> Tensor:
    return Tensor(values, "int64", device)


def get_default_dtype():
    return _state["default_dtype"]


def set_default_dtype(dtype) -> None:
    _state["default_dtype"] = dtype


@contextlib.contextmanager
def device(_name):
    yield


no_grad = inference_mode = contextlib.nullcontext


class Generator:
    def __init__(self, device="cpu") -> None:
        self.rng = np.random.default_rng(0)

    def manual_seed(self, seed: int) -> "Generator":
        self.rng = np.random.default_rng(seed)
        return self


cuda = types.SimpleNamespace(
    is_available=lambda: True, set_device=lambda _index: None, synchronize=lambda: None, empty_cache=lambda: None,
    mem_get_info=lambda: (_state["free"].pop(0) if _state["free"] else _state["total"] - 2**30, _state["total"]),
)
_C = types.SimpleNamespace(_host_emptyCache=lambda: _state.__setitem__("host_cache_emptied", _state["host_cache_emptied"] + 1))
version = types.SimpleNamespace(cuda="none")
__version__ = "stand-in"


# --- transformers ---------------------------------------------------------------------------
class LlamaConfig:
    def __init__(self, **kwargs) -> None:
        self.__dict__.update(kwargs)


class _Output:
    def __init__(self, logits: Tensor, past) -> None:
        self.logits, self.past_key_values = logits, past


class LlamaForCausalLM:
    """Logits = lm_head · (sum of the embeddings of every token so far, through the first layer's norm)."""

    def __init__(self, config: LlamaConfig) -> None:
        h, v, i = config.hidden_size, config.vocab_size, config.intermediate_size
        self._params = {"model.embed_tokens.weight": Parameter(np.zeros((v, h)), get_default_dtype()),
                        "model.norm.weight": Parameter(np.ones(h), get_default_dtype()),
                        "model.layers.0.mlp.up_proj.weight": Parameter(np.zeros((i, h)), get_default_dtype()),
                        "lm_head.weight": Parameter(np.zeros((v, h)), get_default_dtype())}

    def named_parameters(self):
        return list(self._params.items())

    def parameters(self):
        return list(self._params.values())

    def eval(self) -> "LlamaForCausalLM":
        return self

    def requires_grad_(self, _flag: bool) -> "LlamaForCausalLM":
        return self

    def __call__(self, input_ids: Tensor, past_key_values=None, use_cache=True) -> _Output:
        ids = input_ids._array[0]
        embed = self._params["model.embed_tokens.weight"]._array
        state = (past_key_values if past_key_values is not None else 0) + embed[ids].sum(axis=0)
        hidden = state * self._params["model.norm.weight"]._array
        logits = self._params["lm_head.weight"]._array @ hidden
        return _Output(Tensor(logits[None, None, :].repeat(len(ids), axis=1)), state)


# --- safetensors ------------------------------------------------------------------------------
def save_file(tensors: dict, path: str) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, **{name: tensor._array for name, tensor in tensors.items()})


class _SafeOpen:
    def __init__(self, path: str, framework: str, device: str) -> None:
        self._file = np.load(path)

    def __enter__(self) -> "_SafeOpen":
        return self

    def __exit__(self, *_exc) -> None:
        self._file.close()

    def get_tensor(self, name: str) -> Tensor:
        return Tensor(self._file[name])


def install(modules: dict) -> None:
    """Put the stand-ins into `modules` (a copy of sys.modules the test restores)."""
    import sys

    this = sys.modules[__name__]
    modules["torch"] = this
    modules["transformers"] = types.SimpleNamespace(LlamaConfig=LlamaConfig, LlamaForCausalLM=LlamaForCausalLM, __version__="stand-in")
    modules["safetensors"] = types.SimpleNamespace(safe_open=_SafeOpen, __version__="stand-in")
    modules["safetensors.torch"] = types.SimpleNamespace(save_file=save_file)
