import { Command, CommanderError } from 'commander'
import { ExitCode, HeraldError } from '../errors.js'
import { UsageError, type CliRuntime } from './runtime.js'
import { registerBuild } from './commands/build.js'
import { registerPosts } from './commands/posts.js'
import { registerPreview } from './commands/preview.js'
import { registerRun } from './commands/run.js'
import { registerStatus } from './commands/status.js'
import { registerWorker } from './commands/worker.js'
import { registerServe } from './commands/serve.js'
import { registerSubscribers } from './commands/subscribers.js'
import { registerInit } from './commands/init.js'

/** Every command module adds itself to the program and sets `exitCode` through this holder. */
export interface CommandRegistry {
  readonly runtime: CliRuntime
  exitCode: number
}

type Register = (program: Command, registry: CommandRegistry) => void

const COMMANDS: Register[] = [registerPosts, registerBuild, registerRun, registerWorker, registerPreview, registerStatus, registerSubscribers, registerServe, registerInit]

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
  for (const register of COMMANDS) register(program, registry)
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
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok
    return ExitCode.usage
  }
  if (error instanceof UsageError) {
    runtime.stderr.write(`herald: ${error.message}\n`)
    return ExitCode.usage
  }
  if (error instanceof HeraldError) {
    runtime.stderr.write(`herald: ${error.message}\n`)
    const usage = error.code === 'CONFIG_INVALID' || error.code === 'CONFIG_MISSING' || error.code === 'USAGE' || error.code === 'REDIS_UNAVAILABLE' || error.code === 'SECRET_INVALID'
    return usage ? ExitCode.usage : ExitCode.failure
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
  runtime.stderr.write(`herald: unexpected error: ${message}\n`)
  return ExitCode.failure
}
