// The llmux status page: one fetch-based event stream (so the key can go in a
// header, which EventSource cannot send) renders every change as it happens.

const KEY_STORE = "llmux.key";
const $ = (id) => document.getElementById(id);
let key = localStorage.getItem(KEY_STORE) || "";
let stream;

function element(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function headers() {
  return key ? { authorization: `Bearer ${key}` } : {};
}

function setConnection(state, text) {
  const badge = $("connection");
  badge.dataset.state = state;
  badge.textContent = text;
}

function showMessage(text) {
  const message = $("message");
  message.hidden = !text;
  message.textContent = text || "";
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

function clockTime(at) {
  return at === null ? "–" : new Date(at).toLocaleTimeString();
}

async function control(model, action) {
  showMessage("");
  try {
    const response = await fetch(`/llmux/models/${model}/${action}`, { method: "POST", headers: headers() });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      showMessage(`${action} ${model}: ${body.error?.message || response.status}`);
    }
  } catch (error) {
    showMessage(`${action} ${model}: ${error.message}`);
  }
}

function modelCard(model, adminControls) {
  const buttons = ["wake", "sleep", "stop"].map((action) =>
    element("button", {
      type: "button",
      textContent: action,
      disabled: !adminControls,
      title: adminControls ? `${action} ${model.name}` : "set proxy.admin_keys to use the controls",
      "data-action": action,
      onclick: () => control(model.name, action),
    }),
  );
  const level = model.sleep_level === null ? "" : ` (L${model.sleep_level})`;
  return element(
    "article",
    { class: "card", "data-model": model.name },
    element("h3", {}, model.name),
    model.aliases.length > 0 ? element("div", { class: "aliases", textContent: `also: ${model.aliases.join(", ")}` }) : null,
    element("span", { class: "state", "data-state": model.state, textContent: model.state + level }),
    element(
      "dl",
      {},
      element("dt", {}, "queued"),
      element("dd", { "data-field": "queue_depth" }, String(model.queue_depth)),
      element("dt", {}, "in flight"),
      element("dd", { "data-field": "in_flight" }, String(model.in_flight)),
      element("dt", {}, "awake since"),
      element("dd", {}, clockTime(model.awake_at)),
      element("dt", {}, "GPUs"),
      element("dd", {}, `${model.gpus.join(", ")} · ${Math.round(model.gpu_memory_utilization * 100)}%`),
      element("dt", {}, "restarts"),
      element("dd", {}, String(model.restarts)),
      element("dt", {}, "paused"),
      element("dd", { "data-field": "paused" }, String(model.paused)),
    ),
    model.paused_requests.length > 0 ? element("ul", { class: "paused" }, ...model.paused_requests.map(pausedItem)) : null,
    model.last_error ? element("div", { class: "error", textContent: model.last_error }) : null,
    element("div", { class: "controls" }, ...buttons),
  );
}

function pausedItem(request) {
  const times = request.preemptions === 1 ? "" : ` · paused ${request.preemptions}×`;
  return element(
    "li",
    { "data-request-id": request.request_id, title: request.request_id },
    `${request.request_id.slice(0, 13)} · ${request.completion_tokens} tokens · since ${clockTime(request.paused_at)}${times}`,
  );
}

function gpuRow(gpu) {
  const percent = Math.round(gpu.used * 100);
  return element(
    "div",
    { class: "gpu", "data-gpu": String(gpu.index) },
    element("div", {}, `GPU ${gpu.index}: ${percent}% held${gpu.models.length ? ` by ${gpu.models.join(", ")}` : ""}`),
    element("div", { class: "bar" }, element("span", { style: `width:${Math.min(100, percent)}%` })),
  );
}

function switchItem(record) {
  const from = record.from.length > 0 ? record.from.join(", ") : "nothing";
  const phases = record.phases
    .map((phase) => `${phase.phase} ${phase.model}${phase.level === null ? "" : ` L${phase.level}`} ${seconds(phase.duration_ms)}${phase.ok ? "" : " FAILED"}`)
    .join(" · ");
  return element(
    "li",
    { "data-switch": String(record.id), "data-result": record.result },
    `#${record.id}${record.trigger === "request" ? "" : ` (${record.trigger})`} ${from} → ${record.to ?? "nothing"}: ${record.result} in ${seconds(record.duration_ms)} (${clockTime(record.started_at)})`,
    element("div", { class: "phases", textContent: phases + (record.error ? ` · ${record.error}` : "") }),
  );
}

function render(view) {
  $("models").replaceChildren(...view.models.map((model) => modelCard(model, view.admin_controls)));
  $("gpus").replaceChildren(...view.gpus.map(gpuRow));
  $("switches").replaceChildren(...view.switches.map(switchItem));
  $("policy").textContent = view.policy;
  $("updated").textContent = clockTime(view.generated_at);
  document.body.dataset.updatedAt = String(view.generated_at);
}

/** Feed `text` (SSE bytes) through `state.buffer`; call `onEvent(name, data)` per complete event. */
function parseEvents(state, text, onEvent) {
  state.buffer += text;
  let end;
  while ((end = state.buffer.search(/\r?\n\r?\n/)) !== -1) {
    const block = state.buffer.slice(0, end);
    state.buffer = state.buffer.slice(end).replace(/^\r?\n\r?\n/, "");
    let name = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length > 0) onEvent(name, data.join("\n"));
  }
}

async function connect() {
  stream?.abort();
  const controller = new AbortController();
  stream = controller;
  setConnection("connecting", "connecting…");
  try {
    const response = await fetch("/llmux/events", { headers: headers(), signal: controller.signal });
    if (response.status === 401) {
      setConnection("error", "key needed");
      showMessage("Enter an API key (or the admin key to use the controls).");
      return;
    }
    if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
    setConnection("live", "live");
    showMessage("");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const state = { buffer: "" };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parseEvents(state, value, (name, data) => {
        if (name === "status") render(JSON.parse(data));
      });
    }
  } catch {
    if (controller.signal.aborted) return;
  }
  if (stream !== controller) return;
  // The server went away (restart, shutdown): try again shortly.
  setConnection("error", "reconnecting…");
  setTimeout(() => {
    if (stream === controller) connect();
  }, 2000);
}

$("key").value = key;
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  key = $("key").value.trim();
  if (key) localStorage.setItem(KEY_STORE, key);
  else localStorage.removeItem(KEY_STORE);
  connect();
});
connect();
