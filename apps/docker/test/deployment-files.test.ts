import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "@llmux/core";
import { describe, expect, test } from "vitest";
import { readApp, readJson, readYaml, repoRoot } from "./files.js";

const exampleConfig = parseConfig(readJson("config.json"));
const compose = readYaml("compose.yaml");
const hfHome = /HF_HOME=(\S+)/.exec(readApp("Dockerfile"))?.[1];

function k8s(file: string): Record<string, any> {
  return readYaml(`k8s/${file}`);
}

describe("example config", () => {
  test("loads through the real config schema", () => {
    expect(Object.keys(exampleConfig.models).length).toBeGreaterThan(0);
    expect(exampleConfig.port).toBe(3000);
    expect(exampleConfig.metrics_port).toBe(9090);
  });

  test("the Kubernetes ConfigMap's config loads through the schema and serves the same models", () => {
    const configMap = k8s("configmap.yaml");
    const config = parseConfig(JSON.parse(configMap.data["config.json"] as string));
    expect(Object.keys(config.models).sort()).toEqual(Object.keys(exampleConfig.models).sort());
    expect(config.port).toBe(exampleConfig.port);
    expect(config.metrics_port).toBe(exampleConfig.metrics_port);
  });
});

describe("compose.yaml", () => {
  const llmux = compose.services.llmux;
  const onwards = compose.services.onwards;

  test("llmux gets a GPU, an init process, the config and the model cache", () => {
    expect(llmux.init).toBe(true);
    expect(llmux.command).toEqual(["--config", "/etc/llmux/config.json"]);
    const devices = llmux.deploy.resources.reservations.devices as Array<{ capabilities: string[] }>;
    expect(devices.some((device) => device.capabilities.includes("gpu"))).toBe(true);
    const volumes = llmux.volumes as string[];
    expect(volumes).toContain("./config.json:/etc/llmux/config.json:ro");
    expect(hfHome).toBeDefined();
    expect(volumes.some((volume) => volume.endsWith(`:${hfHome}`))).toBe(true);
    expect(llmux.build.dockerfile).toBe("apps/docker/Dockerfile");
    expect(llmux.expose).toContain(String(exampleConfig.port));
    expect(llmux.ports).toContain(`127.0.0.1:${exampleConfig.metrics_port}:${exampleConfig.metrics_port}`);
  });

  test("onwards fronts llmux with every configured model, at llmux's port", () => {
    expect(onwards.command).toEqual(["--targets", "/etc/onwards/targets.json"]);
    expect(onwards.volumes).toContain("./targets.json:/etc/onwards/targets.json:ro");
    const targets = readJson("targets.json").targets as Record<string, { url: string; keys: string[]; onwards_model: string }>;
    expect(Object.keys(targets).sort()).toEqual(Object.keys(exampleConfig.models).sort());
    for (const [name, target] of Object.entries(targets)) {
      expect(target.url).toBe(`http://llmux:${exampleConfig.port}/v1`);
      expect(target.onwards_model).toBe(name);
      expect(target.keys.length).toBeGreaterThan(0);
    }
  });
});

describe("Kubernetes manifests", () => {
  const deployment = k8s("deployment.yaml");
  const container = deployment.spec.template.spec.containers[0];

  test("one GPU per pod, ready on /health, with the config mounted where the image reads it", () => {
    expect(deployment.kind).toBe("Deployment");
    expect(container.resources.limits["nvidia.com/gpu"]).toBe(1);
    expect(container.readinessProbe.httpGet.path).toBe("/health");
    expect(container.args).toEqual(["--config", "/etc/llmux/config.json"]);
    const mounts = container.volumeMounts as Array<{ name: string; mountPath: string }>;
    expect(mounts.find((mount) => mount.name === "config")?.mountPath).toBe("/etc/llmux");
    expect(mounts.find((mount) => mount.name === "hf-cache")?.mountPath).toBe(hfHome);
    const configVolume = (deployment.spec.template.spec.volumes as Array<Record<string, any>>).find((volume) => volume.name === "config");
    expect(configVolume?.configMap.name).toBe(k8s("configmap.yaml").metadata.name);
  });

  test("the container, Service and PodMonitor agree on the ports of the config", () => {
    const ports = Object.fromEntries((container.ports as Array<{ name: string; containerPort: number }>).map((port) => [port.name, port.containerPort]));
    expect(ports).toEqual({ http: exampleConfig.port, metrics: exampleConfig.metrics_port });
    const service = k8s("service.yaml");
    const servicePorts = Object.fromEntries(
      (service.spec.ports as Array<{ name: string; port: number; targetPort: string }>).map((port) => [port.targetPort, port.port]),
    );
    expect(servicePorts).toEqual({ http: exampleConfig.port, metrics: exampleConfig.metrics_port });
    const selector = deployment.spec.selector.matchLabels;
    expect(service.spec.selector).toEqual(selector);
    const monitor = k8s("podmonitor.yaml");
    expect(monitor.spec.selector.matchLabels).toEqual(selector);
    expect(monitor.spec.podMetricsEndpoints[0].port).toBe("metrics");
  });

  test("the kustomization lists every manifest", () => {
    const kustomization = k8s("kustomization.yaml");
    expect((kustomization.resources as string[]).sort()).toEqual(["configmap.yaml", "deployment.yaml", "podmonitor.yaml", "pvc.yaml", "service.yaml"]);
  });
});

describe("SCALING.md", () => {
  test("names only metrics that llmux exports", () => {
    // The families are declared across the proxy's sources (per-model gauges in their own file).
    const sourceDir = join(repoRoot, "packages/proxy/src");
    const metricsSource = readdirSync(sourceDir)
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
      .map((name) => readFileSync(join(sourceDir, name), "utf8"))
      .join("\n");
    const named = [...readApp("SCALING.md").matchAll(/\bllmux_[a-z_]+/g)].map((match) => match[0]);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(metricsSource, name).toContain(`"${name}"`);
  });
});
