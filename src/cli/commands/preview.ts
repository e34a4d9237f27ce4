import { spawn } from 'node:child_process'
import path from 'node:path'
import { type Command, Option } from 'commander'
import { previewNextDigest } from '../../app/preview.js'
import { openServices } from '../../app/services.js'
import { stateDir } from '../../config.js'
import { writeFileAtomically } from '../../infra/atomic-file.js'
import type { Cadence } from '../../subscribers/store.js'
import { COMMAND_HELP } from '../help.js'
import { parseNow, parseWholeNumber } from '../options.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

interface PreviewOptions extends CommonOptions {
  now?: string
  out?: string
  announceLatest?: string
  cadence?: string
  open?: boolean
}

export function registerPreview(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('preview')
      .description(COMMAND_HELP.preview.description)
      .option('--now <iso>', 'as of this moment')
      .option('--out <file>', 'where to write the HTML (default: <site>/.herald/preview.html)')
      .option('--announce-latest <n>', 'on first activation, preview the newest N posts (as `run --announce-latest N` would send)')
      .addOption(
        new Option('--cadence <cadence>', 'which digest: the next instant one, or the next daily or weekly edition')
          .choices(['instant', 'daily', 'weekly'])
          .default('instant'),
      )
      .option('--open', 'open the file in the default browser'),
  ).action(async (options: PreviewOptions) => {
    const now = parseNow(options.now)
    const announceLatest = options.announceLatest === undefined ? 0 : parseWholeNumber('--announce-latest', options.announceLatest)
    const context = await openSite(options, registry.runtime)
    const { runtime } = registry
    const services = await openServices(context)
    try {
      const cadence = (options.cadence ?? 'instant') as Cadence
      const preview = await previewNextDigest(services, { now, announceLatest, cadence })
      const due = preview.dueAt ? `the ${cadence} edition due ${preview.dueAt.toISOString()}` : 'the next run'
      if (preview.kind === 'nothing') {
        println(
          runtime,
          preview.firstActivation
            ? 'First activation: nothing would be sent (add --announce-latest N to send the newest N posts).'
            : `Nothing new: ${due} sends nothing.`,
        )
        return
      }
      println(runtime, `Digest: ${due}`)
      const file = path.resolve(runtime.cwd, options.out ?? path.join(stateDir(context.config.siteDir), 'preview.html'))
      await writeFileAtomically(file, preview.html)
      println(runtime, `Subject: ${preview.subject}`)
      println(runtime, `Posts (${preview.posts.length}):`)
      for (const post of preview.posts) println(runtime, `  ${post.date}  ${post.title}  ${post.permalink}`)
      println(runtime, `Recipients: ${preview.recipients} active ${cadence} subscriber(s) with a new post for their tags`)
      println(runtime, `HTML: ${file}`)
      if (options.open) openInBrowser(file)
    } finally {
      await services.close()
    }
  })
}

function openInBrowser(file: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
  spawn(command, [file], { stdio: 'ignore', detached: true })
    .on('error', () => {})
    .unref()
}
