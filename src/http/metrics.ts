/** One value of a metric, with its labels. */
export interface MetricSample {
  readonly labels?: Readonly<Record<string, string>>
  readonly value: number
}

/** A metric whose samples are read when `/metrics` is scraped (e.g. subscriber counts, queue sizes). */
export interface MetricCollector {
  /** `herald_…`, Prometheus naming rules. */
  readonly name: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  collect(): readonly MetricSample[] | Promise<readonly MetricSample[]>
}

/** An in-process counter. */
export interface Counter {
  inc(labels?: Readonly<Record<string, string>>, by?: number): void
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * The metrics `/metrics` exposes, in the Prometheus text format (0.0.4). Later code adds its own:
 * `registry.register({ name, help, type, collect })` for values read on scrape (from Redis, a queue),
 * or `registry.counter(name, help)` for counts kept in this process.
 */
export class MetricsRegistry {
  private readonly collectors = new Map<string, MetricCollector>()

  /** Adds a collector. Throws on a bad or duplicate name (two modules must not report the same metric). */
  register(collector: MetricCollector): void {
    if (!METRIC_NAME.test(collector.name)) throw new TypeError(`not a Prometheus metric name: ${collector.name}`)
    if (this.collectors.has(collector.name)) throw new TypeError(`metric ${collector.name} is already registered`)
    this.collectors.set(collector.name, collector)
  }

  /** A gauge read on every scrape. */
  gauge(name: string, help: string, collect: MetricCollector['collect']): void {
    this.register({ name, help, type: 'gauge', collect })
  }

  /** A counter kept in memory by this process (it starts at 0 again on restart, which Prometheus expects). */
  counter(name: string, help: string): Counter {
    const values = new Map<string, { labels: Record<string, string>; value: number }>()
    this.register({ name, help, type: 'counter', collect: () => [...values.values()] })
    return {
      inc(labels = {}, by = 1) {
        const key = JSON.stringify(Object.entries(labels).sort())
        const entry = values.get(key) ?? { labels: { ...labels }, value: 0 }
        entry.value += by
        values.set(key, entry)
      },
    }
  }

  /** The exposition text. A collector that fails is reported as a comment and the rest still render. */
  async render(): Promise<string> {
    const lines: string[] = []
    for (const collector of this.collectors.values()) {
      let samples: readonly MetricSample[]
      try {
        samples = await collector.collect()
      } catch (error) {
        lines.push(`# ${collector.name}: collection failed: ${String((error as Error).message ?? error).replace(/\n/g, ' ')}`)
        continue
      }
      lines.push(`# HELP ${collector.name} ${collector.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`)
      lines.push(`# TYPE ${collector.name} ${collector.type}`)
      for (const sample of samples) lines.push(`${collector.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`)
    }
    return `${lines.join('\n')}\n`
  }
}

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {})
  if (entries.length === 0) return ''
  return `{${entries
    .map(([name, value]) => {
      if (!LABEL_NAME.test(name)) throw new TypeError(`not a Prometheus label name: ${name}`)
      return `${name}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`
    })
    .join(',')}}`
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}
