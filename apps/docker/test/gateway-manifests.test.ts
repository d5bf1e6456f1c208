import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "@llmux/core";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { describe, expect, test } from "vitest";
import { appDir, readApp, readYaml } from "./files.js";

function gateway(file: string): Record<string, any> {
  return readYaml(`k8s/gateway/${file}`);
}

function gatewayDocuments(file: string): Record<string, any>[] {
  return parseAllDocuments(readApp(`k8s/gateway/${file}`)).map((document) => document.toJS() as Record<string, any>);
}

const base = {
  deployment: readYaml("k8s/deployment.yaml"),
  configMap: readYaml("k8s/configmap.yaml"),
};
const pool = gateway("inferencepool.yaml");
const poolConfig = parseConfig(JSON.parse(gateway("llmux-config.yaml").data["config.json"] as string));
const eppDeployment = gateway("epp-deployment.yaml");
const eppContainer = eppDeployment.spec.template.spec.containers[0];
const eppService = gateway("epp-service.yaml");
const eppConfigMap = gateway("epp-config.yaml");
const eppConfig = parseYaml(Object.values(eppConfigMap.data as Record<string, string>)[0] as string) as Record<string, any>;

describe("the gateway kustomization", () => {
  test("builds on ../ and lists every manifest and patch of the folder", () => {
    const kustomization = gateway("kustomization.yaml");
    const listed = [...(kustomization.resources as string[]), ...(kustomization.patches as Array<{ path: string }>).map((patch) => patch.path)];
    const files = readdirSync(join(appDir, "k8s/gateway")).filter((name) => name.endsWith(".yaml") && name !== "kustomization.yaml");
    expect(listed.filter((entry) => entry !== "../").sort()).toEqual(files.sort());
    expect(listed).toContain("../");
  });

  test("the patched llmux config loads, serves the models of ../ and publishes metrics on the pool's target port", () => {
    const baseConfig = parseConfig(JSON.parse(base.configMap.data["config.json"] as string));
    expect(gateway("llmux-config.yaml").metadata.name).toBe(base.configMap.metadata.name);
    expect(Object.keys(poolConfig.models).sort()).toEqual(Object.keys(baseConfig.models).sort());
    expect(poolConfig.metrics_on_proxy_port).toBe(true);
    expect(pool.spec.targetPorts).toEqual([{ number: poolConfig.port }]);
    const replicas = gateway("llmux-replicas.yaml");
    expect(replicas.metadata.name).toBe(base.deployment.metadata.name);
    expect(replicas.spec.replicas).toBeGreaterThan(1);
  });
});

describe("the pool's policy", () => {
  test("bounds a stray model's wait below a lone pod's, and the docs and the fleet bench say the same bound", () => {
    const baseConfig = parseConfig(JSON.parse(base.configMap.data["config.json"] as string));
    const shipped = JSON.parse(gateway("llmux-config.yaml").data["config.json"] as string).policy as Record<string, unknown>;
    // Set explicitly: the fleet bench measures this value, not a default that may move.
    expect(shipped.max_wait_secs).toBe(poolConfig.policy.max_wait_secs);
    expect(poolConfig.policy.policy_type).toBe("cost_aware");
    expect(poolConfig.policy.max_wait_secs).toBeLessThan(baseConfig.policy.max_wait_secs);
    const stated = `max_wait_secs: ${poolConfig.policy.max_wait_secs}`;
    for (const doc of ["SCALING.md", "k8s/gateway/README.md", "../../bench/README.md"]) expect(readApp(doc), doc).toContain(stated);
    expect(readApp("../../bench/src/fleet/pod-config.ts")).toContain("apps/docker/k8s/gateway/llmux-config.yaml");
  });
});

describe("the InferencePool", () => {
  test("selects the llmux pods and names the picker's Service and ext-proc port", () => {
    expect(pool.apiVersion).toBe("inference.networking.k8s.io/v1");
    expect(pool.kind).toBe("InferencePool");
    expect(pool.spec.selector.matchLabels).toEqual(base.deployment.spec.template.metadata.labels);
    expect(pool.spec.endpointPickerRef.name).toBe(eppService.metadata.name);
    const extProc = (eppService.spec.ports as Array<{ name: string; port: number; targetPort: string }>).find(
      (port) => port.port === pool.spec.endpointPickerRef.port.number,
    );
    expect(extProc).toBeDefined();
    const containerPorts = Object.fromEntries(
      (eppContainer.ports as Array<{ name: string; containerPort: number }>).map((port) => [port.name, port.containerPort]),
    );
    expect(containerPorts[extProc?.targetPort ?? ""]).toBe(pool.spec.endpointPickerRef.port.number);
    expect(["FailOpen", "FailClose"]).toContain(pool.spec.endpointPickerRef.failureMode);
  });
});

describe("the endpoint picker", () => {
  test("runs for this pool with the mounted plugins config, as the Service and RBAC expect", () => {
    const args = eppContainer.args as string[];
    expect(args[args.indexOf("--pool-name") + 1]).toBe(pool.metadata.name);
    expect(args[args.indexOf("--pool-group") + 1]).toBe("inference.networking.k8s.io");
    const configFile = args[args.indexOf("--config-file") + 1] ?? "";
    const mount = (eppContainer.volumeMounts as Array<{ name: string; mountPath: string }>).find((each) => configFile.startsWith(`${each.mountPath}/`));
    expect(mount).toBeDefined();
    const volume = (eppDeployment.spec.template.spec.volumes as Array<Record<string, any>>).find((each) => each.name === mount?.name);
    expect(volume?.configMap.name).toBe(eppConfigMap.metadata.name);
    expect(Object.keys(eppConfigMap.data as object)).toContain(configFile.slice((mount?.mountPath.length ?? 0) + 1));
    expect(eppService.spec.selector).toEqual(eppDeployment.spec.selector.matchLabels);
    expect(eppDeployment.spec.template.metadata.labels).toMatchObject(eppDeployment.spec.selector.matchLabels);
    const probePort = eppContainer.readinessProbe.grpc.port;
    expect((eppContainer.ports as Array<{ containerPort: number }>).some((port) => port.containerPort === probePort)).toBe(true);
    const [account, role, binding] = gatewayDocuments("epp-rbac.yaml");
    expect(eppDeployment.spec.template.spec.serviceAccountName).toBe(account?.metadata.name);
    expect(binding?.roleRef.name).toBe(role?.metadata.name);
    expect(binding?.subjects[0].name).toBe(account?.metadata.name);
    const resources = ((role?.rules ?? []) as Array<{ resources: string[] }>).flatMap((rule) => rule.resources);
    expect(resources).toEqual(expect.arrayContaining(["pods", "inferencepools"]));
  });

  test("its config parses and scrapes what llmux publishes, where llmux publishes it", () => {
    expect(eppConfig.apiVersion).toBe("inference.networking.x-k8s.io/v1alpha1");
    expect(eppConfig.kind).toBe("EndpointPickerConfig");
    const plugins = eppConfig.plugins as Array<{ type: string; name?: string; parameters?: Record<string, any> }>;
    const byName = new Map(plugins.map((plugin) => [plugin.name ?? plugin.type, plugin]));
    const source = byName.get("metrics-data-source");
    expect(source?.parameters?.path).toBe(poolConfig.metrics_path);
    const vllm = ((byName.get("core-metrics-extractor")?.parameters?.engineConfigs ?? []) as Array<Record<string, string>>).find(
      (engine) => engine.name === "vllm",
    );
    const metricsSource = readApp("../../packages/proxy/src/gateway-metrics.ts");
    for (const key of ["queuedRequestsSpec", "runningRequestsSpec", "kvUsageSpec", "loraSpec"]) {
      expect(vllm?.[key], key).toMatch(/^vllm:[a-z_]+$/);
      expect(metricsSource, key).toContain(`name: "${vllm?.[key]}"`);
    }
    expect(vllm?.cacheInfoSpec).toBe("");
    // Every reference points at a plugin that exists.
    const references = [
      ...(eppConfig.data.sources as Array<{ pluginRef: string; extractors: Array<{ pluginRef: string }> }>).flatMap((each) => [
        each.pluginRef,
        ...each.extractors.map((extractor) => extractor.pluginRef),
      ]),
      ...(eppConfig.schedulingProfiles as Array<{ plugins: Array<{ pluginRef: string }> }>).flatMap((profile) =>
        profile.plugins.map((plugin) => plugin.pluginRef),
      ),
    ];
    for (const reference of references) expect(byName.has(reference), reference).toBe(true);
    expect(eppConfig.featureGates).toContain("dataLayer");
  });

  test("scores with model affinity above the load scorers: a pod already switching to the model beats an idle one", () => {
    const profile = (eppConfig.schedulingProfiles as Array<{ name: string; plugins: Array<{ pluginRef: string; weight?: number }> }>)[0];
    // A scorer listed without a weight weighs 1 in the picker.
    const weight = (ref: string): number => profile?.plugins.find((plugin) => plugin.pluginRef === ref)?.weight ?? 1;
    const load = ["queue-scorer", "running-requests-size-scorer"];
    for (const ref of load)
      expect(
        profile?.plugins.some((plugin) => plugin.pluginRef === ref),
        ref,
      ).toBe(true);
    const loadWeights = load.reduce((sum, ref) => sum + weight(ref), 0);
    // lora-affinity-scorer gives 0.6 to a pod with the model waiting, 0 to one without.
    expect(0.6 * weight("lora-affinity-scorer")).toBeGreaterThan(loadWeights);
    expect(profile?.plugins.some((plugin) => plugin.pluginRef === "max-score-picker")).toBe(true);
  });
});

describe("the HTTPRoute", () => {
  test("sends the gateway's traffic to the pool, waiting as long as llmux may", () => {
    const route = gateway("httproute.yaml");
    const backend = route.spec.rules[0].backendRefs[0];
    expect(backend).toEqual({ group: "inference.networking.k8s.io", kind: "InferencePool", name: pool.metadata.name });
    const timeoutSecs = Number(/^(\d+)s$/.exec(route.spec.rules[0].timeouts.request as string)?.[1]);
    expect(timeoutSecs).toBeGreaterThanOrEqual(poolConfig.policy.request_timeout_secs);
  });
});
