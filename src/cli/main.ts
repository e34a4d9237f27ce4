import { Command, CommanderError } from 'commander'
import { ExitCode, HeraldError } from '../errors.js'
import { type CliRuntime, type CommandRegistry, UsageError } from './runtime.js'

type Register = (program: Command, registry: CommandRegistry) => void

/**
 * Command modules by name, loaded on demand: `herald build` should not pay for loading MJML, BullMQ and
 * Fastify (about a second and 100 MB here). The order is the order of `herald --help`.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  posts: async () => (await import('./commands/posts.js')).registerPosts,
  build: async () => (await import('./commands/build.js')).registerBuild,
  run: async () => (await import('./commands/run.js')).registerRun,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  preview: async () => (await import('./commands/preview.js')).registerPreview,
  status: async () => (await import('./commands/status.js')).registerStatus,
  editions: async () => (await import('./commands/editions.js')).registerEditions,
  subscribers: async () => (await import('./commands/subscribers.js')).registerSubscribers,
  bounces: async () => (await import('./commands/bounces.js')).registerBounces,
  serve: async () => (await import('./commands/serve.js')).registerServe,
  doctor: async () => (await import('./commands/doctor.js')).registerDoctor,
  init: async () => (await import('./commands/init.js')).registerInit,
}

/** The commands to load for this argv: the one named first, or all of them (top-level help, typos). */
function commandsFor(argv: readonly string[]): string[] {
  const first = argv[0]
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS)
}

/** Runs the `herald` command line and returns the exit status (never calls process.exit itself). */
export async function main(argv: readonly string[], runtime: CliRuntime): Promise<number> {
  const registry: CommandRegistry = { runtime, exitCode: ExitCode.ok }
  const program = new Command('herald')
    .description('Publish a reStructuredText blog as Atom, RSS and JSON feeds, and as email digests to subscribers.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => runtime.stdout.write(text),
      writeErr: (text) => runtime.stderr.write(text),
    })
  for (const name of commandsFor(argv)) (await COMMANDS[name]!())(program, registry)
  for (const command of program.commands) command.exitOverride().showHelpAfterError('(add --help for usage)')

  try {
    await program.parseAsync([...argv], { from: 'user' })
    return registry.exitCode
  } catch (error) {
    return reportError(error, runtime)
  }
}

function reportError(error: unknown, runtime: CliRuntime): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
      return ExitCode.ok
    return ExitCode.usage
  }
  if (error instanceof UsageError) {
    runtime.stderr.write(`herald: ${error.message}\n`)
    return ExitCode.usage
  }
  if (error instanceof HeraldError) {
    runtime.stderr.write(`herald: ${error.message}\n`)
    const usage =
      error.code === 'CONFIG_INVALID' ||
      error.code === 'CONFIG_MISSING' ||
      error.code === 'USAGE' ||
      error.code === 'REDIS_UNAVAILABLE' ||
      error.code === 'SECRET_INVALID' ||
      error.code === 'SITE_CONFLICT' ||
      error.code === 'MAIL_UNAVAILABLE'
    return usage ? ExitCode.usage : ExitCode.failure
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  runtime.stderr.write(`herald: unexpected error: ${message}\n`)
  return ExitCode.failure
}
