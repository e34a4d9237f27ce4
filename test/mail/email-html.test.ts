import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as cheerio from 'cheerio'
import { describe, expect, it } from 'vitest'
import { hardenEmailHtml } from '../../src/mail/email-html.js'
import { localImageSizes } from '../../src/mail/image-files.js'
import { compileMjml, htmlToPlainText } from '../../src/mail/render.js'

const wrap = (body: string) => `<html><body><table><tr><td class="post-body"><div>${body}</div></td></tr></table></body></html>`
const sizes = async (url: string) => (url.endsWith('wide.png') ? { width: 1200, height: 600 } : null)

describe('hardenEmailHtml', () => {
  it('gives every image width, height (when its size is known) and alt, scaled to the content column', async () => {
    const $ = cheerio.load(
      await hardenEmailHtml(
        wrap(
          '<img src="https://b.example/wide.png">' +
            '<img src="https://b.example/x/a-small_icon.png" width="64" height="32" alt="https://b.example/x/a-small_icon.png">' +
            '<img src="https://b.example/wide.png" style="width: 50%" alt="Half">' +
            '<img src="https://other.example/unknown.png" alt="Unknown" style="height: 300px">',
        ),
        { contentWidth: 552, imageSize: sizes },
      ),
    )
    const images = $('img')
      .toArray()
      .map((image) => $(image))
    expect(images.map((image) => [image.attr('width'), image.attr('height'), image.attr('alt')])).toEqual([
      ['552', '276', 'wide'],
      ['64', '32', 'a small icon'],
      ['276', '138', 'Half'],
      [undefined, '300', 'Unknown'],
    ])
    for (const image of images) expect(image.attr('style')).toMatch(/max-width:100%;height:auto/)
    expect(images[2]!.attr('style')).toMatch(/^width:50%/)
  })

  it('inlines what a post body needs: scrolling tables, wrapping code, link colours; drops scripts and remote styles', async () => {
    const html = await hardenEmailHtml(
      '<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">' +
        '<style>@import url(x.css); p{}</style></head>' +
        `<body>${wrap('<table><tr><td>a</td></tr></table><pre>code</pre><p><a href="https://x.example/" style="color:red">x</a></p>')}` +
        '<script>alert(1)</script></body></html>',
    )
    const $ = cheerio.load(html)
    expect(html).not.toMatch(/googleapis|@import/)
    expect($('div[data-herald-scroll]').attr('style')).toContain('overflow-x:auto')
    expect($('div[data-herald-scroll] > table').hasClass('herald-table')).toBe(true)
    expect($('.post-body pre').attr('style')).toMatch(/white-space:pre-wrap.*overflow-x:auto/)
    // The post's own inline style wins over the default colour.
    expect($('.post-body a').attr('style')).toMatch(/color:red/)
    expect($('.post-body a').attr('style')).not.toMatch(/#1a56db/)
  })

  it("reads the site's own image sizes from files under the site URL, and nothing elsewhere", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'herald-images-'))
    try {
      // A 3×2 GIF: the header is all image-size needs.
      await writeFile(path.join(dir, 'pic.gif'), Buffer.from('474946383961030002000000002c00000000030002000002', 'hex'))
      const lookup = localImageSizes('https://blog.example.org/', [dir])
      expect(await lookup('https://blog.example.org/pic.gif')).toEqual({ width: 3, height: 2 })
      expect(await lookup('https://other.example.org/pic.gif')).toBeNull()
      expect(await lookup('https://blog.example.org/../../etc/passwd')).toBeNull()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses mj-font: a remote font would load on every open', async () => {
    await expect(
      compileMjml('<mjml>\n<mj-head>\n<mj-font name="X" href="https://fonts.example/x.css" />\n</mj-head></mjml>', 't.mjml'),
    ).rejects.toMatchObject({ code: 'TEMPLATE_INVALID', location: { line: 3 } })
  })
})

describe('htmlToPlainText', () => {
  it('writes tables as aligned columns, images as [alt], and links as numbered references per post', () => {
    const text = htmlToPlainText(
      '<body><div class="herald-post"><p><a href="https://a.example/">First</a> and <a href="https://b.example/">second</a>, ' +
        '<a href="https://a.example/">first again</a>.</p><img src="x.png" alt="A cat">' +
        '<table class="herald-table"><tr><th>Format</th><th>Path</th></tr><tr><td>RSS</td><td>rss.xml</td></tr>' +
        '<tr><td>JSON Feed</td><td>feed.json</td></tr></table></div>' +
        '<div class="herald-post"><p><a href="https://c.example/">Other post</a></p></div>' +
        '<p><a href="https://u.example/unsubscribe">Unsubscribe</a></p></body>',
    )
    expect(text).toContain('First [1] and second [2], first again [1].')
    expect(text).toContain('[A cat]')
    expect(text).toMatch(/^Format {4,}Path\nRSS {4,}rss\.xml\nJSON Feed {2,}feed\.json$/m)
    expect(text).toMatch(/\[1\] https:\/\/a\.example\/\n\[2\] https:\/\/b\.example\//)
    expect(text).toMatch(/Other post \[1\]\n\n\[1\] https:\/\/c\.example\//)
    expect(text).toContain('Unsubscribe <https://u.example/unsubscribe>')
  })
})
