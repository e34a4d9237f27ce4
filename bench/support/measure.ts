// Shared by the benches: run a child process and measure it (wall time, peak RSS), summarise numbers and CPU profiles.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'

/** The repository root (where `worker.ts` and `node_modules` are). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const PROBE = path.join(ROOT, 'bench', 'support', 'probe.mjs')

/** Compiles dist/ from the current sources, so the benchmarks measure what ships (`bin/herald.js`). */
export function buildDist(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'ignore' })
}

/** What bench/support/probe.mjs reports from inside a child at its exit. */
export interface ProbeReport {
  readonly maxRssKb: number
  readonly uptimeMs: number
  readonly userCpuMs: number
  readonly systemCpuMs: number
  /** Peaks sampled every 250 ms: V8 heap used/total, external memory, ArrayBuffers (Buffers), in MB. */
  readonly peaks: { heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number }
  /** RSS samples every 250 ms: [epoch ms, MB]. */
  readonly timeline: ReadonlyArray<readonly [number, number]>
  /** Redis commands sent, by name (only with `countRedis`). */
  readonly redis: Record<string, number>
}

/** A finished child process and what it cost. */
export interface Measured {
  readonly wallMs: number
  readonly maxRssMb: number
  readonly exitCode: number | null
  readonly stdout: string
  readonly stderr: string
  readonly probe: ProbeReport | null
}

/** Options for {@link runMeasured}. */
export interface RunMeasuredOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** Load tsx (for .ts entry points). Default true. */
  readonly tsx?: boolean
  /** Write a V8 CPU profile into this folder (`node --cpu-prof`). */
  readonly cpuProfileDir?: string
  /** Count the Redis commands the child sends. */
  readonly countRedis?: boolean
  /** Called with the child as soon as it started (e.g. to read its output while it runs). */
  readonly onSpawn?: (child: import('node:child_process').ChildProcess) => void
}

/**
 * Runs `node [--import probe] [--import tsx] <args>` in a fresh process; wall time is measured here from spawn to
 * exit, peak RSS inside the child (`process.resourceUsage().maxRSS` at exit, via the probe).
 */
export async function runMeasured(args: readonly string[], options: RunMeasuredOptions = {}): Promise<Measured> {
  const probeDir = mkdtempSync(path.join(tmpdir(), 'herald-probe-'))
  const probeFile = path.join(probeDir, 'probe.json')
  const nodeArgs = [
    '--import',
    PROBE,
    ...(options.tsx === false ? [] : ['--import', 'tsx']),
    ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
    ...args,
  ]
  const env = {
    ...process.env,
    ...options.env,
    HERALD_BENCH_PROBE: probeFile,
    ...(options.countRedis ? { HERALD_BENCH_COUNT_REDIS: '1' } : {}),
  }
  const started = performance.now()
  const child = spawn(process.execPath, nodeArgs, { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  options.onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code))
  })
  const wallMs = performance.now() - started
  let probe: ProbeReport | null = null
  try {
    probe = JSON.parse(readFileSync(probeFile, 'utf8')) as ProbeReport
  } catch {
    probe = null
  }
  rmSync(probeDir, { recursive: true, force: true })
  return { wallMs, maxRssMb: probe ? probe.maxRssKb / 1024 : Number.NaN, exitCode, stdout, stderr, probe }
}

/** Throws with the child's output when it did not exit with one of `ok` (default 0). */
export function expectExit(result: Measured, what: string, ok: readonly number[] = [0]): Measured {
  if (result.exitCode === null || !ok.includes(result.exitCode)) {
    throw new Error(
      `${what}: exit ${result.exitCode}\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`,
    )
  }
  return result
}

/** min / median / max of some samples. */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN }
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { min: sorted[0]!, median, max: sorted.at(-1)! }
}

/** `median (min–max)` with `digits` decimals. */
export function formatSpread(values: readonly number[], digits = 0, unit = ''): string {
  const { min, median, max } = spread(values)
  const f = (value: number) => value.toFixed(digits)
  return values.length > 1 ? `${f(median)}${unit} (${f(min)}–${f(max)})` : `${f(median)}${unit}`
}

/** Right-pads for simple tables. */
export const pad = (text: string, width: number) => (text.length >= width ? text : text + ' '.repeat(width - text.length))

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** Top costs of a V8 CPU profile: self time by function and by package/source file, and inclusive time of Herald's functions. */
export interface ProfileSummary {
  readonly totalMs: number
  readonly selfByFunction: Array<[string, number]>
  readonly selfByModule: Array<[string, number]>
  readonly inclusiveHerald: Array<[string, number]>
  /** Samples spent loading modules (resolving, reading, compiling, linking; CommonJS top-level code): startup cost. */
  readonly moduleLoadingMs: number
  readonly garbageCollectorMs: number
}

/** Reads the one `.cpuprofile` written into `dir` and summarises it. */
export function summariseProfileDir(dir: string, top = 12): ProfileSummary {
  // One file per thread (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`); the main thread is thread 0
  // (Node 20 runs module loader hooks such as tsx's on a thread of their own).
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))
  const file = files.find((name) => name.split('.').at(-3) === '0') ?? files[0]
  if (!file) throw new Error(`no .cpuprofile in ${dir}`)
  return summariseProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, top)
}

function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native/builtin)'
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nodeModule) return nodeModule[1]!
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  const index = url.indexOf('/src/')
  if (index >= 0) return url.slice(index + 1)
  return path.basename(url)
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  return `${functionName || '(anonymous)'} ${moduleOf(url, functionName)}${url && lineNumber > 0 ? `:${lineNumber + 1}` : ''}`
}

// Resolving, reading, compiling and linking modules, and running CommonJS packages' top-level code; not the
// evaluation of the entry module (which, with top-level await, contains the whole first slice of the program).
const ESM_RUNNERS = new Set([
  'run',
  'import',
  'evaluate',
  'runEntryPointWithESMLoader',
  'executeUserEntryPoint',
  'ModuleJob.run',
  'ModuleLoader.import',
])
function isModuleLoading(frame: ProfileNode['callFrame']): boolean {
  if (frame.url.startsWith('node:internal/modules/cjs/')) return true
  return frame.url.startsWith('node:internal/modules/esm/') && !ESM_RUNNERS.has(frame.functionName)
}

export function summariseProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const selfFunction = new Map<string, number>()
  const selfModule = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms)
  let total = 0
  let moduleLoading = 0
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000
    const node = byId.get(id)
    if (!node) return
    total += ms
    add(selfFunction, functionKey(node), ms)
    add(selfModule, moduleOf(node.callFrame.url, node.callFrame.functionName), ms)
    // Inclusive time of Herald's own functions, each counted once per sample however deep the recursion.
    const seen = new Set<string>()
    let loading = false
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current)!
      if (isModuleLoading(frame.callFrame)) loading = true
      if (!frame.callFrame.url.includes('/src/') || frame.callFrame.url.includes('node_modules')) continue
      const key = functionKey(frame)
      if (!seen.has(key)) {
        seen.add(key)
        add(inclusive, key, ms)
      }
    }
    if (loading) moduleLoading += ms
  })
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
  return {
    totalMs: total,
    selfByFunction: sorted(selfFunction),
    selfByModule: sorted(selfModule),
    inclusiveHerald: sorted(inclusive),
    moduleLoadingMs: moduleLoading,
    garbageCollectorMs: selfModule.get('(garbage collector)') ?? 0,
  }
}

/** Prints a profile summary as three short tables. */
export function printProfile(title: string, summary: ProfileSummary, print: (line: string) => void = console.log): void {
  const line = ([name, ms]: [string, number]) =>
    `    ${ms.toFixed(0).padStart(6)} ms ${((ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%  ${name}`
  const share = (ms: number) => `${ms.toFixed(0)} ms (${((ms / summary.totalMs) * 100).toFixed(0)}%)`
  print(
    `  ${title}: ${summary.totalMs.toFixed(0)} ms sampled; loading modules ${share(summary.moduleLoadingMs)}, ` +
      `garbage collector ${share(summary.garbageCollectorMs)}`,
  )
  print('   self time by package / source file:')
  for (const entry of summary.selfByModule) print(line(entry))
  print('   self time by function:')
  for (const entry of summary.selfByFunction) print(line(entry))
  print('   inclusive time of Herald functions (src/):')
  for (const entry of summary.inclusiveHerald) print(line(entry))
}

/** One reading of the CPU time used so far by each watched process (ms), at `at` (epoch ms). */
interface CpuReading {
  readonly at: number
  readonly cpuMs: Record<string, number>
}

/**
 * Samples every `intervalMs` the CPU time used by some processes (Linux `/proc/<pid>/stat`, 10 ms resolution)
 * and by the Redis server (`INFO cpu`, which counts every client of that server, not only ours), so that the
 * CPU spent inside a time window (e.g. from the first to the last message) can be told apart from startup.
 */
export class CpuSampler {
  private readonly readings: CpuReading[] = []
  private readonly pids = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private busy = false
  private static readonly TICK_MS = 10

  constructor(
    private readonly redis: Redis | null,
    private readonly intervalMs = 100,
  ) {}

  watch(label: string, pid: number | undefined): void {
    if (pid !== undefined) this.pids.set(label, pid)
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs)
    void this.sample()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.sample()
  }

  /** CPU ms each watched process (and `redis`) used between `from` and `to`, interpolated between readings. */
  between(from: number, to: number): Record<string, number> {
    const result: Record<string, number> = {}
    const labels = new Set(this.readings.flatMap((reading) => Object.keys(reading.cpuMs)))
    for (const label of labels) {
      const at = (time: number) => {
        const series = this.readings.filter((reading) => reading.cpuMs[label] !== undefined)
        const after = series.findIndex((reading) => reading.at >= time)
        if (after <= 0) return series[after === 0 ? 0 : series.length - 1]?.cpuMs[label] ?? Number.NaN
        const a = series[after - 1]!
        const b = series[after]!
        return a.cpuMs[label]! + ((b.cpuMs[label]! - a.cpuMs[label]!) * (time - a.at)) / (b.at - a.at || 1)
      }
      result[label] = at(to) - at(from)
    }
    return result
  }

  private async sample(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const cpuMs: Record<string, number> = {}
      for (const [label, pid] of this.pids) {
        try {
          const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
          cpuMs[label] = (Number(fields[11]) + Number(fields[12])) * CpuSampler.TICK_MS
        } catch {
          // Not running (yet / any more), or not Linux.
        }
      }
      if (this.redis) {
        const info = await this.redis.info('cpu').catch(() => '')
        const user = /used_cpu_user:([\d.]+)/.exec(info)
        const system = /used_cpu_sys:([\d.]+)/.exec(info)
        if (user && system) cpuMs.redis = (Number(user[1]) + Number(system[1])) * 1000
      }
      this.readings.push({ at: performance.timeOrigin + performance.now(), cpuMs })
    } finally {
      this.busy = false
    }
  }
}
