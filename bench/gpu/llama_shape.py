"""The shape of the random-weight Llama for a requested weight size (pure; no torch)."""

from __future__ import annotations

from dataclasses import dataclass

BYTES_PER_PARAM = {"bfloat16": 2, "float16": 2, "float32": 4}


@dataclass(frozen=True)
class LlamaShape:
    hidden: int
    intermediate: int
    heads: int
    layers: int
    vocab: int = 32000

    @property
    def params(self) -> int:
        per_layer = 4 * self.hidden * self.hidden + 3 * self.hidden * self.intermediate + 2 * self.hidden
        return self.layers * per_layer + 2 * self.vocab * self.hidden + self.hidden

    def tag(self) -> str:
        return f"h{self.hidden}-i{self.intermediate}-a{self.heads}-l{self.layers}-v{self.vocab}"


def llama_shape(size_gb: float, bytes_per_param: int = 2) -> LlamaShape:
    """The Llama shape whose weights take about `size_gb` GB (10^9 bytes)."""
    if size_gb >= 2:
        hidden, intermediate, heads = 4096, 11008, 32
    elif size_gb >= 0.3:
        hidden, intermediate, heads = 2048, 5632, 16
    else:
        hidden, intermediate, heads = 512, 1408, 8
    base = LlamaShape(hidden, intermediate, heads, layers=0)
    per_layer = LlamaShape(hidden, intermediate, heads, layers=1).params - base.params
    target = size_gb * 1e9 / bytes_per_param
    layers = max(1, round((target - base.params) / per_layer))
    return LlamaShape(hidden, intermediate, heads, layers)


def torch_dtype_name(dtype: str) -> str:
    """vLLM's `--dtype`: `auto` and `bfloat16` mean bf16 here; `half` and `float16` fp16."""
    return {"auto": "bfloat16", "bfloat16": "bfloat16", "bf16": "bfloat16", "half": "float16",
            "float16": "float16", "float": "float32", "float32": "float32"}.get(dtype, "bfloat16")
