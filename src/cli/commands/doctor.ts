import type { Command } from 'commander'
import { diagnose } from '../../app/doctor.js'
import { ExitCode } from '../../errors.js'
import { COMMAND_HELP } from '../help.js'
import { type CommandRegistry, type CommonOptions, openSite, println, withCommonOptions } from '../runtime.js'

export function registerDoctor(program: Command, registry: CommandRegistry): void {
  withCommonOptions(
    program
      .command('doctor')
      .description(COMMAND_HELP.doctor.description)
      .option('--send-test <address>', 'also send a test message to this address'),
  ).action(async (options: CommonOptions & { sendTest?: string }) => {
    const context = await openSite(options, registry.runtime)
    const findings = await diagnose(context, { logger: context.logger, ...(options.sendTest ? { sendTestTo: options.sendTest } : {}) })
    const width = Math.max(...findings.map((finding) => finding.check.length))
    for (const finding of findings) {
      const mark = finding.status === 'ok' ? 'ok  ' : finding.status === 'warn' ? 'warn' : 'FAIL'
      println(registry.runtime, `${mark}  ${finding.check.padEnd(width)}  ${finding.detail}`)
      if (finding.fix && finding.status !== 'ok') println(registry.runtime, `      ${' '.repeat(width)}  → ${finding.fix}`)
    }
    registry.exitCode = findings.some((finding) => finding.status === 'fail') ? ExitCode.failure : ExitCode.ok
  })
}
