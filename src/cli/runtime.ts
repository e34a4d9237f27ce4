import { type Command, Option } from 'commander'
import type { AppContext } from '../app/context.js'
import { loadConfig } from '../config-load.js'
import { ExitCode } from '../errors.js'
import { createLogger, type Verbosity } from '../log.js'

/** What a command may touch of the outside world; tests pass their own. */
export interface CliRuntime {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  /** Standard input (`herald bounces ingest -`). Default: the process's. */
  readonly stdin?: NodeJS.ReadableStream
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  /** Whether stdout/stderr are terminals (progress bars, readable logs). */
  readonly interactive: boolean
  /**
   * Ends the process at once (the real command line passes `process.exit`). Used only when waiting longer would be
   * a hang: Redis gone for a minute in the middle of a command. Tests leave it out.
   */
  readonly exit?: (code: number) => never
}

/** Options every command accepts. */
export interface CommonOptions {
  site?: string
  quiet?: boolean
  verbose?: boolean
}

/** A command's view of one site: its validated config, a logger, and the terminal. */
export interface SiteContext extends AppContext {
  readonly runtime: CliRuntime
}

/** Every command module adds itself to the program and sets `exitCode` through this holder. */
export interface CommandRegistry {
  readonly runtime: CliRuntime
  exitCode: number
}

/** Adds `--site`, `--quiet` and `--verbose` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--site <dir>', 'site folder holding herald.yml').default(undefined, 'the current folder'))
    .addOption(new Option('-q, --quiet', 'only warnings and errors').conflicts('verbose'))
    .addOption(new Option('-v, --verbose', 'debug detail'))
}

export function verbosityOf(options: CommonOptions): Verbosity {
  return options.quiet ? 'quiet' : options.verbose ? 'verbose' : 'normal'
}

/** Loads the site named by `--site` (default: the current folder) and makes the command's logger. */
export async function openSite(options: CommonOptions, runtime: CliRuntime): Promise<SiteContext> {
  const logger = createLogger({ verbosity: verbosityOf(options), destination: runtime.stderr, pretty: runtime.interactive })
  const config = await loadConfig(options.site ?? runtime.cwd, runtime.env)
  const exit = runtime.exit
  if (!exit) return { config, logger, runtime }
  const onRedisLost = (message: string) => {
    runtime.stderr.write(`herald: ${message}\n`)
    exit(ExitCode.failure)
  }
  return { config, logger, runtime, onRedisLost }
}

/** Writes a line to the command's standard output. */
export function println(runtime: CliRuntime, text = ''): void {
  runtime.stdout.write(`${text}\n`)
}

/** A mistake in how a command was called (exit status 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
