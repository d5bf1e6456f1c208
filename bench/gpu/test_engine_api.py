"""The inference and info routes, start-up and shutdown of engine.py (real processes, real sockets)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from engine_test_support import HERE, PROBE, Engine, call, free_port


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


class ApiTests(unittest.TestCase):
    engine: Engine

    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = Engine(None, name="api-model")
        cls.addClassCleanup(cls.engine.stop)

    def test_health_version_models(self) -> None:
        health = self.engine.get("/health")
        self.assertEqual((health.status, health.body), (200, b""))
        self.assertEqual(self.engine.get("/version").json(), {"version": "0.13.0"})
        models = self.engine.get("/v1/models").json()
        self.assertEqual(models["object"], "list")
        card = models["data"][0]
        self.assertEqual((card["id"], card["object"], card["owned_by"], card["root"]), ("api-model", "model", "vllm", "test/model-a"))
        self.assertEqual(card["max_model_len"], 4096)

    def test_chat_non_streaming_shape(self) -> None:
        body = call(self.engine.port, "POST", "/v1/chat/completions", {"model": "api-model", **PROBE}).json()
        self.assertTrue(body["id"].startswith("chatcmpl-"))
        self.assertEqual(body["object"], "chat.completion")
        self.assertEqual(body["choices"][0]["message"]["role"], "assistant")
        self.assertEqual(body["choices"][0]["finish_reason"], "length")
        usage = body["usage"]
        self.assertEqual((usage["completion_tokens"], usage["total_tokens"]), (10, usage["prompt_tokens"] + 10))
        self.assertEqual(len(body["choices"][0]["message"]["content"].split(" ")), 10)

    def test_chat_stream_matches_the_plain_answer(self) -> None:
        plain = self.engine.ask()
        response = call(self.engine.port, "POST", "/v1/chat/completions",
                        {"model": "api-model", **PROBE, "stream": True, "stream_options": {"include_usage": True}})
        self.assertEqual(response.status, 200)
        self.assertTrue(response.headers["content-type"].startswith("text/event-stream"))
        events = response.events()
        self.assertEqual(events[-1], "[DONE]")
        chunks = [json.loads(event) for event in events[:-1]]
        self.assertEqual(chunks[0]["choices"][0]["delta"], {"role": "assistant", "content": ""})
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertEqual(chunks[-1]["usage"]["completion_tokens"], 10)
        text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks[1:-1])
        self.assertEqual(text, plain)
        self.assertEqual(chunks[-2]["choices"][0]["finish_reason"], "length")
        self.assertTrue(all(chunk["object"] == "chat.completion.chunk" for chunk in chunks))

    def test_completions_plain_and_stream(self) -> None:
        request = {"model": "api-model", "prompt": "Once upon a time", "max_tokens": 5}
        plain = call(self.engine.port, "POST", "/v1/completions", request).json()
        self.assertTrue(plain["id"].startswith("cmpl-"))
        self.assertEqual(plain["object"], "text_completion")
        stream = call(self.engine.port, "POST", "/v1/completions", {**request, "stream": True})
        events = stream.events()
        self.assertEqual(events[-1], "[DONE]")
        text = "".join(json.loads(event)["choices"][0]["text"] for event in events[:-1])
        self.assertEqual(text, plain["choices"][0]["text"])
        self.assertNotIn("usage", json.loads(events[-2]))  # no stream_options: no usage chunk

    def test_model_field_absent_means_the_served_model(self) -> None:
        body = call(self.engine.port, "POST", "/v1/completions", {"prompt": "hi", "max_tokens": 2}).json()
        self.assertEqual(body["model"], "api-model")

    def test_errors_have_vllm_shapes(self) -> None:
        unknown = call(self.engine.port, "POST", "/v1/chat/completions", {"model": "nope", **PROBE})
        self.assertEqual(unknown.status, 404)
        self.assertEqual(unknown.json()["error"]["type"], "NotFoundError")
        self.assertEqual(unknown.json()["error"]["message"], "The model `nope` does not exist.")
        media = call(self.engine.port, "POST", "/v1/chat/completions", raw=b"{}", headers={"content-type": "text/plain"})
        self.assertEqual(media.status, 400)
        self.assertEqual(media.json()["error"]["message"], "Unsupported Media Type: Only 'application/json' is allowed")
        broken = call(self.engine.port, "POST", "/v1/chat/completions", raw=b"{nope", headers={"content-type": "application/json"})
        self.assertEqual((broken.status, broken.json()["error"]["code"]), (400, 400))
        missing = call(self.engine.port, "POST", "/v1/chat/completions", {"model": "api-model"})
        self.assertEqual(missing.status, 400)
        self.assertEqual(call(self.engine.port, "GET", "/nowhere").json(), {"detail": "Not Found"})
        self.assertEqual(call(self.engine.port, "GET", "/v1/chat/completions").status, 405)

    def test_collective_rpc_bad_bodies(self) -> None:
        self.assertEqual(self.engine.post("/collective_rpc", {"nothing": 1}).status, 400)
        other = self.engine.post("/collective_rpc", {"method": "do_something"})
        self.assertEqual(other.status, 500)
        self.assertIn("AttributeError", other.json()["error"]["message"])

    def test_pause_holds_requests_until_resume(self) -> None:
        self.assertEqual(self.engine.post("/pause?wait_for_inflight_requests=true").json(), {"status": "paused"})
        self.assertEqual(self.engine.get("/is_paused").json(), {"is_paused": True})
        answers: list[str] = []
        thread = threading.Thread(target=lambda: answers.append(self.engine.ask()))
        thread.start()
        thread.join(1.0)
        self.assertTrue(thread.is_alive(), "a request must wait while paused")
        self.assertEqual(self.engine.post("/resume").json(), {"status": "resumed"})
        thread.join(60)
        self.assertEqual(len(answers), 1)
        self.assertEqual(self.engine.get("/is_paused").json(), {"is_paused": False})

    def test_keep_alive_connection_serves_several_requests(self) -> None:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.engine.port, timeout=30)
        try:
            for _ in range(3):
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                self.assertEqual(response.status, 200)
        finally:
            connection.close()


class StartupTests(unittest.TestCase):
    def test_connections_are_refused_while_loading(self) -> None:
        engine = Engine(self, "--fake-ms", "load=8000", wait=False)
        deadline = time.monotonic() + 60
        while "Starting to load model" not in engine.output():
            self.assertLess(time.monotonic(), deadline, engine.output())
            time.sleep(0.02)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", engine.port), timeout=5).close()
        engine.wait_ready()
        output = engine.output()
        self.assertLess(output.index("Loading weights took"), output.index("Application startup complete."))

    def test_port_in_use_exits_1(self) -> None:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            engine = Engine(self, "--port", str(holder.getsockname()[1]), wait=False)
            self.assertEqual(engine.wait_exit(), 1)
            self.assertIn("Address already in use", engine.output())

    def test_dev_mode_off_hides_the_admin_routes(self) -> None:
        engine = Engine(self, dev_mode=None)
        self.assertEqual(engine.post("/sleep?level=1").json(), {"detail": "Not Found"})
        self.assertEqual(engine.get("/is_sleeping").status, 404)
        self.assertEqual(engine.post("/pause").status, 200)  # not dev-gated
        engine.post("/resume")

    def test_dev_mode_true_is_a_start_up_error(self) -> None:
        engine = Engine(self, dev_mode="true", wait=False)
        self.assertEqual(engine.wait_exit(), 1)
        self.assertIn("invalid literal for int()", engine.output())

    def test_unknown_flag_exits_2_like_argparse(self) -> None:
        engine = Engine(self, "--no-such-flag", wait=False)
        self.assertEqual(engine.wait_exit(), 2)
        self.assertIn("vllm serve: error: unrecognized arguments: --no-such-flag", engine.output())

    def test_the_wrapper_keeps_a_command_line_llmux_recognises(self) -> None:
        # llmux's reaper matches a recorded engine by its command's name, then its arguments.
        wrapper = os.path.join(HERE, "vllm-engine")
        port = free_port()
        args = ["serve", "test/model-a", "--host", "127.0.0.1", "--port", str(port), "--backend", "fake",
                "--cache-dir", tempfile.mkdtemp(prefix="llmux-engine-cache-")]
        self.addCleanup(shutil.rmtree, args[-1], True)
        env = {**os.environ, "LLMUX_ENGINE_PYTHON": sys.executable, "VLLM_SERVER_DEV_MODE": "1"}
        proc = subprocess.Popen([wrapper, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if call(port, "GET", "/health", timeout=5).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        with open(f"/proc/{proc.pid}/cmdline", "rb") as handle:
            live = handle.read().decode().split("\0")[:-1]
        self.assertEqual(live[-len(args):], args)
        self.assertIn("vllm-engine", [os.path.basename(item) for item in live[:-len(args)]])
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)

    def test_sigterm_exits_0(self) -> None:
        engine = Engine(self)
        engine.proc.send_signal(signal.SIGTERM)
        self.assertEqual(engine.wait_exit(), 0)
        self.assertIn("Shutting down FastAPI HTTP server.", engine.output())

    def test_weights_file_is_written_once_and_read_at_the_next_start(self) -> None:
        cache = tempfile.mkdtemp(prefix="llmux-engine-cache-")
        self.addCleanup(shutil.rmtree, cache, True)
        first = Engine(self, cache_dir=cache)
        self.assertIn("save_file_s=", read(first.engine_log))
        reference = first.ask()
        first.stop()
        second = Engine(self, cache_dir=cache)
        self.assertIn("read_file_s=", read(second.engine_log))
        self.assertEqual(second.ask(), reference)  # same model path, same seed, same weights
        other = Engine(self, model="test/model-b", cache_dir=cache)
        self.assertNotEqual(other.ask(), reference)

    def test_too_little_gpu_memory_fraction_fails_like_vllm(self) -> None:
        engine = Engine(self, "--gpu-memory-utilization", "0.001", wait=False)
        self.assertEqual(engine.wait_exit(), 1)
        self.assertIn("No available memory for the cache blocks", engine.output())


if __name__ == "__main__":
    unittest.main()
