import type { Metric, Registry } from "prom-client";

/** One label set's counts: found once and kept, so observing is a bucket search and three additions. */
export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Per bucket, not cumulative; the last slot is past the largest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(labels: Record<string, string>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let index = 0;
    while (index < bounds.length && value > (bounds[index] as number)) index++;
    this.counts[index] = (this.counts[index] as number) + 1;
    this.sum += value;
    this.count += 1;
  }
}

type Sample = { labels: Record<string, string | number>; sharedLabels: Readonly<Record<string, string>>; value: number; metricName?: string; exemplar?: null };
type Exported = { name: string; help: string; type: "histogram" | "counter"; values: Sample[]; aggregator: "sum" };

/**
 * A Prometheus histogram whose label sets are bound once (`series`) and then
 * observed without hashing labels: prom-client's `observe(labels, value)`
 * hashes and validates its labels on every call, on every request's path.
 * Registered in a prom-client Registry, which renders it like its own.
 */
export class BoundHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = options.buckets;
    options.registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these labels (values in the order of the label names), made on first use. */
  series(labels: Record<string, string>): HistogramSeries {
    const key = Object.values(labels).join("\u0000");
    let series = this.#series.get(key);
    if (series === undefined) {
      series = new HistogramSeries(labels, this.#bounds);
      this.#series.set(key, series);
    }
    return series;
  }

  /** A counter metric read from this histogram's counts (a request counter is its duration histogram's `_count`). */
  countsAs(options: { name: string; help: string; registry: Registry }): void {
    const all = this.#series;
    const counter = {
      name: options.name,
      help: options.help,
      type: "counter",
      aggregator: "sum",
      getForPromString: (): Exported => ({
        name: options.name,
        help: options.help,
        type: "counter",
        aggregator: "sum",
        values: [...all.values()].map((series) => ({ labels: {}, sharedLabels: series.labels, value: series.count })),
      }),
      get: async () => splay(counter.getForPromString()),
      reset: () => undefined,
    };
    options.registry.registerMetric(counter as unknown as Metric);
  }

  getForPromString(): Exported {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += series.counts[index] as number;
        values.push({ labels: { le: bound }, sharedLabels: series.labels, value: cumulative, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: "+Inf" }, sharedLabels: series.labels, value: series.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }

  async get(): Promise<Exported> {
    return splay(this.getForPromString());
  }

  /** Zero every series (the series objects stay bound). */
  reset(): void {
    for (const series of this.#series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

/** The JSON form (`getMetricsAsJSON`): one label object per sample. */
function splay(exported: Exported): Exported {
  return {
    ...exported,
    values: exported.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })) as Sample[],
  };
}
