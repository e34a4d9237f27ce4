import path from 'node:path'
import type { Command } from 'commander'
import { SCAFFOLD_DEFAULTS, type ScaffoldResult, scaffoldSite } from '../../app/scaffold.js'
import { ExitCode } from '../../errors.js'
import { COMMAND_HELP } from '../help.js'
import { type CommandRegistry, type CommonOptions, println, UsageError, withCommonOptions } from '../runtime.js'

interface InitOptions extends CommonOptions {
  url?: string
  title?: string
  force?: boolean
}

/** What each file of a new site is for (shown after `herald init`). */
const PURPOSE: Record<string, string> = {
  'herald.yml': 'settings: every key with its default and meaning',
  'posts/hello-herald.rst': 'an example post (Nikola metadata, a teaser); delete it when you write yours',
  'templates/digest.mjml': 'the digest email: edit freely (docs/deployment.md, "Templates")',
  'templates/confirm.mjml': 'the subscription confirmation email',
  'templates/welcome.mjml': 'the welcome email after a confirmation (email.welcome: true)',
  '.gitignore': "keeps Herald's state (the generated link-signing secret) out of git",
}

export function registerInit(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('init')
      .description(COMMAND_HELP.init.description)
      .argument('[dir]', 'folder of the new site, created when missing (or use --site)')
      .option('--url <url>', 'base URL of the blog (site.url)', SCAFFOLD_DEFAULTS.url)
      .option('--title <title>', 'title of the blog (site.title)', SCAFFOLD_DEFAULTS.title)
      .option('--force', 'replace an existing herald.yml (posts and templates already there are kept)'),
  ).action(async (dirArgument: string | undefined, options: InitOptions) => {
    const { runtime } = registry
    if (
      dirArgument !== undefined &&
      options.site !== undefined &&
      path.resolve(runtime.cwd, dirArgument) !== path.resolve(runtime.cwd, options.site)
    ) {
      throw new UsageError(`give the folder once: DIR (${dirArgument}) and --site (${options.site}) differ`)
    }
    const dir = path.resolve(runtime.cwd, dirArgument ?? options.site ?? '.')
    const result = await scaffoldSite({
      dir,
      ...(options.url !== undefined ? { url: options.url } : {}),
      ...(options.title !== undefined ? { title: options.title } : {}),
      force: Boolean(options.force),
    })
    println(runtime, formatReport(result, runtime.cwd))
    registry.exitCode = ExitCode.ok
  })
}

function formatReport(result: ScaffoldResult, cwd: string): string {
  const relative = path.relative(cwd, result.dir)
  const shown = relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? result.dir : relative
  const site = shown === '.' ? '' : ` --site ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`
  const width = Math.max(...[...result.created, ...result.overwritten, ...result.kept.map((kept) => kept.file)].map((file) => file.length))
  const lines = [`Herald site in ${result.dir}:`]
  for (const file of result.created) lines.push(`  created      ${file.padEnd(width)}  ${PURPOSE[file] ?? ''}`.trimEnd())
  for (const file of result.overwritten) lines.push(`  replaced     ${file.padEnd(width)}  ${PURPOSE[file] ?? ''}`.trimEnd())
  for (const kept of result.kept) lines.push(`  kept         ${kept.file.padEnd(width)}  ${kept.reason}`)
  const steps: Array<[string, string]> = [
    [`herald posts${site}`, 'lists the posts and any problems in them'],
    [`herald build${site}`, 'writes the feeds and the post pages to the output folder (public/)'],
    [`herald serve${site}`, 'subscribe page on http://127.0.0.1:8080/subscribe (needs Redis: REDIS_URL)'],
    [`herald run${site}`, 'what cron runs: the feeds, then a digest of new posts to subscribers'],
  ]
  const commandWidth = Math.max(...steps.map(([command]) => command.length))
  lines.push(
    '',
    'Post pages: Herald writes them (site.pages: true): a page per post and an index into public/, so every "Read more"',
    "  link of a digest leads somewhere. If Nikola (or another tool) builds this blog's pages, set site.pages: false.",
  )
  lines.push('', 'Next steps:', '  1. Edit herald.yml: site.url, site.title, email.from and email.postal_address at least.')
  for (const [index, [command, what]] of steps.entries()) lines.push(`  ${index + 2}. ${command.padEnd(commandWidth)}  ${what}`)
  lines.push(
    '     The first run records the posts already there and mails nobody (--announce-latest N mails the newest N).',
    '     Without SMTP_URL, emails are written to outbox/ instead of being sent.',
    '  Deployment (docker compose, cron, systemd, several workers): docs/deployment.md',
  )
  return lines.join('\n')
}
