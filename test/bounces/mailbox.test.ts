import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { maildirFiles, splitMbox } from '../../src/bounces/mailbox.js'

describe('mailbox formats', () => {
  it('splits an mbox at From_ lines after a blank line, unquoting >From lines, with LF or CRLF', () => {
    for (const eol of ['\n', '\r\n']) {
      const mbox = [
        'From MAILER-DAEMON Thu Jan  1 00:00:00 2026',
        'Subject: one',
        '',
        'first body',
        '>From the start, a quoted line',
        'From here: not a separator, no blank line before it',
        '',
        'From MAILER-DAEMON Thu Jan  1 00:00:01 2026',
        'Subject: two',
        '',
        '>>From twice quoted',
        '',
      ].join(eol)
      const messages = splitMbox(Buffer.from(mbox)).map((message) => message.toString())
      expect(messages).toEqual([
        ['Subject: one', '', 'first body', 'From the start, a quoted line', 'From here: not a separator, no blank line before it', ''].join(
          eol,
        ),
        ['Subject: two', '', '>From twice quoted', ''].join(eol),
      ])
    }
  })

  it('lists the messages of a Maildir, new/ then cur/, skipping hidden files and tmp/', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-maildir-'))
    for (const folder of ['new', 'cur', 'tmp']) await mkdir(path.join(dir, folder))
    await writeFile(path.join(dir, 'new', '2.b'), 'x')
    await writeFile(path.join(dir, 'new', '1.a'), 'x')
    await writeFile(path.join(dir, 'new', '.hidden'), 'x')
    await writeFile(path.join(dir, 'cur', '0.c:2,S'), 'x')
    await writeFile(path.join(dir, 'tmp', '3.d'), 'x')
    expect((await maildirFiles(dir)).map((file) => path.relative(dir, file))).toEqual(['new/1.a', 'new/2.b', 'cur/0.c:2,S'])
    await expect(maildirFiles(path.join(dir, 'new'))).rejects.toThrow(/not a Maildir/)
  })
})
