import { createRequire } from 'node:module'
import pino, { type Logger } from 'pino'
import type { PrettyOptions } from 'pino-pretty'

// pino-pretty is only needed on a terminal; loading it lazily keeps it out of cron runs and containers.
const require = createRequire(import.meta.url)
const prettyStream = (options: PrettyOptions): pino.DestinationStream =>
  (require('pino-pretty') as (options: PrettyOptions) => pino.DestinationStream)(options)

export type { Logger }

/** How chatty a command is: `--quiet` keeps warnings and errors, `--verbose` adds debug detail. */
export type Verbosity = 'quiet' | 'normal' | 'verbose'

/** Options for `createLogger`. */
export interface LoggerOptions {
  readonly verbosity?: Verbosity
  /** Readable lines for a person (default: when stderr is a terminal); JSON lines otherwise. */
  readonly pretty?: boolean
  /** Where log lines go. Default: stderr, so stdout stays clean for `--json` output. */
  readonly destination?: NodeJS.WritableStream
}

/** Creates the one logger a command uses; everything else receives it as a parameter. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.verbosity === 'quiet' ? 'warn' : options.verbosity === 'verbose' ? 'debug' : 'info'
  const destination = options.destination ?? process.stderr
  const readable = options.pretty ?? Boolean((destination as NodeJS.WriteStream).isTTY)
  if (readable) {
    return pino(
      { level, base: null },
      prettyStream({
        destination: destination as NodeJS.WritableStream & { write: (chunk: string) => boolean },
        sync: true,
        colorize: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
      }),
    )
  }
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination as pino.DestinationStream)
}

/** A logger that discards everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
