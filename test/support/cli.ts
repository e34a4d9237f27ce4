import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { main } from '../../src/cli/main.js'
import { REPO_ROOT } from './site.js'

/** Output of a `herald` command. */
export interface HeraldResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `herald …` in this process with captured output. */
export async function runHerald(argv: string[], env: NodeJS.ProcessEnv, cwd: string = REPO_ROOT): Promise<HeraldResult> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  stdout.on('data', (chunk: Buffer) => out.push(chunk))
  stderr.on('data', (chunk: Buffer) => err.push(chunk))
  const code = await main(argv, { stdout, stderr, env, cwd, interactive: false })
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }
}

/** A `herald` child process (a real OS process: it can be killed), with its output collected. */
export interface HeraldProcess {
  readonly child: ChildProcess
  readonly output: () => string
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>
}

/** Starts `npx tsx worker.ts …` as its own process with `env` added to this one's. */
export function spawnHerald(argv: string[], env: NodeJS.ProcessEnv): HeraldProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'worker.ts'), ...argv], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  return { child, output: () => output, exited }
}
