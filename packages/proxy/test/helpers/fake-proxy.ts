import { afterEach } from "vitest";
import { FakeMux } from "./fake-mux.js";
import { FakeUpstream } from "./fake-upstream.js";
import { type ProxyOverrides, type StartedProxy, startProxy } from "./start-proxy.js";

export interface FakeProxy {
  mux: FakeMux;
  url: string;
  upstream: FakeUpstream;
  started: StartedProxy;
}

/**
 * A proxy over a FakeMux whose models all lease one FakeUpstream, torn down
 * after each test. `prepare` adjusts the mux (states) before the proxy starts.
 */
export function useFakeProxy(models: string[], prepare: (mux: FakeMux) => void = () => {}): (overrides?: ProxyOverrides) => Promise<FakeProxy> {
  const running: FakeProxy[] = [];
  afterEach(async () => {
    for (const { started, upstream } of running.splice(0)) {
      await started.proxy.destroy();
      await upstream.stop();
    }
  });
  return async (overrides = {}) => {
    const upstream = new FakeUpstream();
    const base = await upstream.start();
    const mux = new FakeMux(Object.fromEntries(models.map((model) => [model, base])));
    prepare(mux);
    const started = await startProxy(mux, models, overrides);
    const stack = { mux, url: started.url, upstream, started };
    running.push(stack);
    return stack;
  };
}
