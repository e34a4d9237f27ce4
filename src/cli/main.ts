import { Command, CommanderError, Help } from 'commander'
import { ExitCode, HeraldError } from '../errors.js'
import { COMMAND_HELP } from './help.js'
import { type CliRuntime, type CommandRegistry, UsageError } from './runtime.js'

type Register = (program: Command, registry: CommandRegistry) => void

/**
 * Command modules by name, loaded on demand: `herald build` should not pay for loading MJML, BullMQ and
 * Fastify (about a second and 100 MB here), nor `herald --help` for any of them. The order is the order of `herald --help`.
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

/** The command this argv runs (or asks help for: `herald help build`), or null: then none is loaded (see help.ts). */
function commandFor(argv: readonly string[]): string | null {
  const words = argv.filter((word) => !word.startsWith('-'))
  const named = words[0] === 'help' ? words[1] : words[0]
  return named !== undefined && Object.hasOwn(COMMANDS, named) ? named : null
}

/**
 * Top-level help and unknown commands: each command as its line in the listing, from help.ts, without loading any.
 * Commander's own help text and its "did you mean" suggestions work from these.
 */
function listCommands(program: Command): void {
  for (const name of Object.keys(COMMANDS)) program.command(name).description(COMMAND_HELP[name as keyof typeof COMMAND_HELP].description)
  program.configureHelp({
    subcommandTerm: (command) => COMMAND_HELP[command.name() as keyof typeof COMMAND_HELP]?.term ?? new Help().subcommandTerm(command),
  })
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
  const named = commandFor(argv)
  if (named) (await COMMANDS[named]!())(program, registry)
  else listCommands(program)
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
