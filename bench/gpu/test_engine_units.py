"""Pure parts of the engine: the command line, text rendering, the model shape. No processes."""

from __future__ import annotations

import unittest

from llama_shape import llama_shape, torch_dtype_name
from engine_args import UsageError, default_seed, parse_fake_ms, parse_serve_args
from engine_backend import format_phases
from engine_text import chat_prompt, encode, render_pieces, word


class ArgsTests(unittest.TestCase):
    def test_the_command_line_llmux_builds(self) -> None:
        args = parse_serve_args(["serve", "org/model", "--host", "127.0.0.1", "--port", "8001", "--enable-sleep-mode",
                                 "--served-model-name", "qwen", "--gpu-memory-utilization", "0.6",
                                 "--tensor-parallel-size", "1", "--dtype", "auto"], env={})
        self.assertEqual((args.model_path, args.host, args.port, args.model_name), ("org/model", "127.0.0.1", 8001, "qwen"))
        self.assertTrue(args.enable_sleep_mode)
        self.assertEqual(args.gpu_memory_utilization, 0.6)
        self.assertEqual((args.backend, args.size_gb, args.pinned_buffers), ("torch", 14.0, "alloc"))
        self.assertEqual(args.weights_seed, default_seed("org/model"))

    def test_vllm_spellings(self) -> None:
        args = parse_serve_args(["serve", "--model=m", "--served_model_name", "a", "b", "--max-model-len=2048", "--enforce-eager"], env={})
        self.assertEqual((args.model_path, args.served_model_names, args.max_model_len), ("m", ["a", "b"], 2048))
        self.assertEqual(args.host, "0.0.0.0")
        self.assertFalse(args.enable_sleep_mode)

    def test_rejections(self) -> None:
        for argv in (["run", "m"], ["serve"], ["serve", "m", "--bogus"], ["serve", "m", "--port", "x"],
                     ["serve", "m", "--gpu-memory-utilization", "1.5"], ["serve", "m", "--backend", "gpu"]):
            with self.subTest(argv=argv), self.assertRaises(UsageError):
                parse_serve_args(argv, env={})

    def test_environment_fills_in_and_flags_win(self) -> None:
        env = {"LLMUX_ENGINE_BACKEND": "fake", "LLMUX_ENGINE_SIZE_GB": "6", "LLMUX_ENGINE_PINNED_BUFFERS": "keep",
               "LLMUX_ENGINE_WEIGHTS_SEED": "7", "LLMUX_ENGINE_FAKE_MS": "sleep=5"}
        args = parse_serve_args(["serve", "m"], env=env)
        self.assertEqual((args.backend, args.size_gb, args.pinned_buffers, args.weights_seed, args.fake_ms),
                         ("fake", 6.0, "keep", 7, {"sleep": 5.0}))
        args = parse_serve_args(["serve", "m", "--size-gb", "2", "--backend", "torch"], env=env)
        self.assertEqual((args.backend, args.size_gb), ("torch", 2.0))
        with self.assertRaises(UsageError):
            parse_serve_args(["serve", "m"], env={"LLMUX_ENGINE_PINNED_BUFFERS": "sometimes"})

    def test_fake_ms(self) -> None:
        self.assertEqual(parse_fake_ms("load=1, token=2.5"), {"load": 1.0, "token": 2.5})
        for bad in ("nap=1", "load", "load=x"):
            with self.subTest(bad=bad), self.assertRaises(UsageError):
                parse_fake_ms(bad)


class TextTests(unittest.TestCase):
    def test_encoding_is_bytes_after_bos_and_keeps_the_end(self) -> None:
        self.assertEqual(encode("Hi", 32000, 100), [1, 3 + ord("H"), 3 + ord("i")])
        self.assertEqual(encode("abcdef", 32000, 3), [3 + ord("d"), 3 + ord("e"), 3 + ord("f")])

    def test_words_are_stable_and_mostly_distinct(self) -> None:
        self.assertEqual(word(1234), word(1234))
        self.assertGreater(len({word(i) for i in range(1000)}), 900)
        self.assertEqual(render_pieces([5, 6]), [word(5), " " + word(6)])

    def test_chat_prompt_is_fixed(self) -> None:
        prompt = chat_prompt([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
        self.assertEqual(prompt, "<|user|>\nhi\n<|assistant|>\n")


class ShapeTests(unittest.TestCase):
    def test_sizes_land_near_the_request(self) -> None:
        for size in (0.2, 1, 6, 8, 14, 30):
            with self.subTest(size=size):
                shape = llama_shape(size)
                self.assertLess(abs(shape.params * 2 / 1e9 - size) / size, 0.1)
        self.assertEqual((llama_shape(14).hidden, llama_shape(14).layers), (4096, 33))

    def test_dtype_names(self) -> None:
        self.assertEqual([torch_dtype_name(d) for d in ("auto", "half", "float32", "weird")],
                         ["bfloat16", "float16", "float32", "bfloat16"])

    def test_phase_format(self) -> None:
        self.assertEqual(format_phases({"alloc_s": 1.23456, "n": 3}), "alloc_s=1.235 n=3")


if __name__ == "__main__":
    unittest.main()
