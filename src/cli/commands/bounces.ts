import path from 'node:path'
import { type Command, Option } from 'commander'
import { checkMailSources, type IngestedMessage, ingestReturnedMail, type MailSource } from '../../app/bounce-ingest.js'
import type { BounceResult, HeldGroupSummary } from '../../app/bounces.js'
import { openServices, type SiteServices, withServices } from '../../app/services.js'
import { HeraldError } from '../../errors.js'
import { COMMAND_HELP } from '../help.js'
import { type CommandRegistry, type CommonOptions, openSite, println, type SiteContext, UsageError, withCommonOptions } from '../runtime.js'

/** Exit status of `herald bounces ingest` when a message could not be handled: EX_TEMPFAIL, so an MTA pipe retries later. */
export const INGEST_TEMPFAIL = 75

interface IngestOptions extends CommonOptions {
  maildir?: string[]
  mbox?: string[]
  recipient?: string
  json?: boolean
}

interface ReviewOptions extends CommonOptions {
  apply?: boolean
  discard?: boolean
  edition?: string
  domain?: string
  json?: boolean
}

export function registerBounces(program: Command, registry: CommandRegistry): void {
  const { runtime } = registry
  const group = program.command('bounces').description(COMMAND_HELP.bounces.description)
  const collect = (value: string, previous: string[] = []) => [...previous, value]

  withCommonOptions(
    group
      .command('ingest')
      .description(
        'Read returned mail (bounces, complaints, auto-replies) from files, standard input ("-"), a Maildir or an mbox, and ' +
          'apply it. Run it from an /etc/aliases pipe or after fetching the bounce mailbox; reading a message twice changes nothing.',
      )
      .argument('[files...]', 'message files (.eml), or "-" for one message on standard input')
      .option('--maildir <dir>', 'every message of a Maildir (new/ and cur/; nothing is moved)', collect)
      .option('--mbox <file>', 'every message of an mbox file', collect)
      .option(
        '--recipient <address>',
        'the address the message was delivered to, when the MTA passes it (the recipient macro of Postfix pipe(8))',
      )
      .option('--json', 'print what each message did as JSON'),
  ).action(async (files: string[], options: IngestOptions) => {
    const sources: MailSource[] = [
      ...files.map(
        (file): MailSource =>
          file === '-'
            ? { kind: 'stdin', stream: runtime.stdin ?? process.stdin }
            : { kind: 'file', path: path.resolve(runtime.cwd, file) },
      ),
      ...(options.maildir ?? []).map((dir): MailSource => ({ kind: 'maildir', path: path.resolve(runtime.cwd, dir) })),
      ...(options.mbox ?? []).map((mbox): MailSource => ({ kind: 'mbox', path: path.resolve(runtime.cwd, mbox) })),
    ]
    if (sources.length === 0) throw new UsageError('give message files, "-" for standard input, --maildir DIR or --mbox FILE')
    await checkMailSources(sources)
    const context = await openSite(options, runtime)
    requireBounceAddress(context)
    let services: SiteServices
    try {
      services = await openServices(context)
    } catch (error) {
      // An MTA pipe: a temporary failure makes it keep the message and try again, instead of bouncing the bounce.
      if (error instanceof HeraldError && error.code === 'REDIS_UNAVAILABLE') {
        runtime.stderr.write(`herald: ${error.message}\n`)
        registry.exitCode = INGEST_TEMPFAIL
        return
      }
      throw error
    }
    try {
      const done: IngestedMessage[] = []
      for await (const message of ingestReturnedMail(
        services.bounces,
        sources,
        options.recipient ? { recipient: options.recipient } : {},
      )) {
        done.push(message)
        if (message.error) runtime.stderr.write(`${message.label}: not handled: ${message.error}\n`)
        else if (!options.json && !options.quiet) println(runtime, `${message.label}: ${describe(message.result!)}`)
      }
      if (options.json) println(runtime, JSON.stringify(done.map(toJson), null, 2))
      else println(runtime, summary(done))
      if (done.some((message) => message.error)) registry.exitCode = INGEST_TEMPFAIL
    } finally {
      await services.close()
    }
  })

  withCommonOptions(
    group
      .command('review')
      .description(
        "List bounces held because one receiving domain bounced too large a share of an edition's recipients (the receiver's " +
          'outage, not dead addresses); --apply applies them, --discard drops them.',
      )
      .addOption(new Option('--apply', 'apply the held bounces (as if there had been no flood)').conflicts('discard'))
      .addOption(new Option('--discard', 'drop the held bounces: nobody is changed'))
      .option('--edition <id>', 'only this edition (an id or its start)')
      .option('--domain <domain>', 'only this receiving domain')
      .option('--json', 'print JSON'),
  ).action(async (options: ReviewOptions) => {
    const context = await openSite(options, runtime)
    await withServices(context, async ({ bounces }) => {
      const filter = { ...(options.edition ? { editionId: options.edition } : {}), ...(options.domain ? { domain: options.domain } : {}) }
      if (options.apply || options.discard) {
        const done = await bounces.resolveHeld(options.apply ? 'apply' : 'discard', filter)
        if (options.json)
          return println(
            runtime,
            JSON.stringify(
              done.map(({ group, results }) => ({ ...summaryOf(group), results })),
              null,
              2,
            ),
          )
        if (done.length === 0) return println(runtime, 'no held bounces match')
        for (const { group, results } of done) {
          const changed = results.filter((result) => result.outcome === 'bounced').length
          println(
            runtime,
            options.apply
              ? `edition ${group.editionId} ${group.domain}: ${results.length} held bounce(s) applied, ${changed} subscriber(s) bounced`
              : `edition ${group.editionId} ${group.domain}: ${results.length} held bounce(s) discarded; nobody changed`,
          )
        }
        return
      }
      const groups = (await bounces.held()).filter(
        (group) =>
          (!filter.editionId || group.editionId.startsWith(filter.editionId)) && (!filter.domain || group.domain === filter.domain),
      )
      if (options.json) return println(runtime, JSON.stringify(groups.map(summaryOf), null, 2))
      if (groups.length === 0) return println(runtime, 'no bounces are held for review')
      for (const held of groups) {
        const share = held.recipients > 0 ? ` (${Math.round((100 * held.bounced) / held.recipients)}%)` : ''
        println(runtime, `edition ${held.editionId}  ${held.domain}: ${held.bounced} of ${held.recipients} recipients bounced${share}`)
        for (const bounce of held.bounces) {
          const { event } = bounce
          println(runtime, `  ${bounce.email}\t${event.kind}\t${event.status ?? '-'}\t${event.at}\t${event.diagnostic.slice(0, 80)}`)
        }
      }
      println(runtime)
      println(runtime, 'An outage at the receiving server: herald bounces review --discard [--edition ID] [--domain DOMAIN]')
      println(runtime, 'The addresses really are dead:      herald bounces review --apply [--edition ID] [--domain DOMAIN]')
    })
  })
}

function requireBounceAddress(context: SiteContext): void {
  if (!context.config.email.bounceAddress) {
    throw new HeraldError(
      'CONFIG_MISSING',
      'set email.bounce_address in herald.yml (e.g. bounces@blog.example.org): returned mail is attributed by the VERP ' +
        'address each digest is sent from, and without one nothing that comes back can be',
      { field: 'email.bounce_address' },
    )
  }
}

function describe(result: BounceResult): string {
  if (result.outcome === 'duplicate') return 'handled before; nothing changed'
  const what = [result.kind.replace('_', '-'), result.status].filter(Boolean).join(' ')
  const about = result.email ? ` for ${result.email}` : ''
  const edition = result.editionId ? ` (edition ${result.editionId})` : ''
  const why = {
    unattributed: 'no valid VERP tag; nothing changed',
    not_sent: 'that edition was never sent to that address; nothing changed',
    no_subscriber: 'no such subscriber any more; nothing changed',
    bounced: 'subscriber bounced',
    unsubscribed: 'subscriber unsubscribed (complaint)',
    counted: 'soft bounce counted',
    held: 'held for review (domain flood)',
    discarded: 'discarded',
    recorded: 'recorded; nothing changed',
  }[result.outcome]
  return `${what}${about}${edition}: ${why}`
}

function summary(done: readonly IngestedMessage[]): string {
  const counts = new Map<string, number>()
  for (const message of done) {
    const key = message.error ? 'not handled' : message.result!.outcome
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const parts = [...counts].map(([outcome, count]) => `${count} ${outcome.replace('_', ' ')}`)
  return `${done.length} message(s)${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`
}

function toJson(message: IngestedMessage): Record<string, unknown> {
  return { message: message.label, ...(message.result ?? {}), error: message.error }
}

function summaryOf(group: HeldGroupSummary): Record<string, unknown> {
  return {
    editionId: group.editionId,
    domain: group.domain,
    recipients: group.recipients,
    bounced: group.bounced,
    held: group.bounces.map((bounce) => ({ subscriberId: bounce.subscriberId, email: bounce.email, ...bounce.event })),
  }
}
