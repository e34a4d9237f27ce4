import path from 'node:path'
import type { Command } from 'commander'
import { buildSite } from '../../app/build.js'
import { ExitCode } from '../../errors.js'
import { COMMAND_HELP } from '../help.js'
import { parseNow } from '../options.js'
import { createProgress } from '../progress.js'
import { type CommandRegistry, type CommonOptions, openSite, withCommonOptions } from '../runtime.js'

export function registerBuild(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('build')
      .description(COMMAND_HELP.build.description)
      .option('--out <dir>', 'output folder (default: "output" in herald.yml, i.e. <site>/public)')
      .option('--now <iso>', 'build as of this moment (e.g. to include a scheduled post)'),
  ).action(async (options: CommonOptions & { out?: string; now?: string }) => {
    const started = performance.now()
    const now = parseNow(options.now)
    const context = await openSite(options, registry.runtime)
    const config = options.out ? { ...context.config, outputDir: path.resolve(registry.runtime.cwd, options.out) } : context.config
    const progress = createProgress(registry.runtime, 'posts')
    const { feeds, counts, unchanged } = await buildSite(context, config, now, progress.update)
    progress.stop()
    context.logger.info(
      {
        feedsWritten: feeds.written.length,
        feedsUnchanged: feeds.unchanged.length,
        feedsFailed: feeds.failed.length,
        postsLive: counts.live,
        postsScheduled: counts.scheduled,
        postsSkipped: counts.skipped,
        durationMs: Math.round(performance.now() - started),
      },
      `build: ${feeds.written.length} feeds written, ${feeds.unchanged.length} unchanged` +
        `${unchanged ? ' (nothing changed since the last build)' : ''}${feeds.failed.length ? `, ${feeds.failed.length} FAILED` : ''}; ` +
        `posts: ${counts.live} live, ${counts.scheduled} scheduled, ${counts.skipped} skipped → ${config.outputDir}`,
    )
    registry.exitCode = feeds.failed.length > 0 ? ExitCode.failure : counts.skipped > 0 ? ExitCode.postErrors : ExitCode.ok
  })
}
