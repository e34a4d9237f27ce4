import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATES_DIR, fillTemplate, loadTemplate, renderEmail } from '../../src/mail/render.js'
import { makeSite } from '../support/site.js'

const view = {
  lang: 'en',
  subject: 'Confirm',
  siteTitle: 'Tom & Jerry <Blog>',
  intro: 'Please confirm.',
  button: 'Confirm my subscription',
  confirmUrl: 'https://blog.example.org/confirm?token=abc.def&x=1',
  linkHint: 'Or copy this link:',
  validity: 'The link works for 7 days.',
  ignore: 'Ignore this if it was not you.',
  postalAddress: '1 Example Street',
}

describe('email rendering', () => {
  it('renders the built-in confirm template strictly, escaping values, with a text part', async () => {
    const template = await loadTemplate('confirm', { siteDir: '/nonexistent' })
    expect(template.file).toBe(path.join(BUILTIN_TEMPLATES_DIR, 'confirm.mjml'))
    const { html, text } = await renderEmail(template, view)
    expect(html).toContain('lang="en"')
    expect(html).toContain('Tom &amp; Jerry &lt;Blog&gt;')
    expect(html).not.toContain('<Blog>')
    expect(html).toContain('href="https://blog.example.org/confirm?token=abc.def&amp;x=1"')
    expect(text).toContain('Tom & Jerry <Blog>')
    expect(text).toContain('https://blog.example.org/confirm?token=abc.def&x=1')
    expect(text).toContain('1 Example Street')
    expect(text).not.toContain('Please confirm.\nTom')
  })

  it("prefers the site's own template", async () => {
    const site = await makeSite({
      'templates/confirm.mjml':
        '<mjml><mj-body><mj-section><mj-column><mj-text>Custom {{siteTitle}}</mj-text></mj-column></mj-section></mj-body></mjml>',
    })
    const template = await loadTemplate('confirm', { siteDir: site })
    expect(template.file).toBe(path.join(site, 'templates', 'confirm.mjml'))
    expect((await renderEmail(template, view)).text).toBe('Custom Tom & Jerry <Blog>')
  })

  it('reports invalid MJML with the file and line', async () => {
    const site = await makeSite({
      'templates/confirm.mjml': '<mjml>\n<mj-body>\n<mj-section><mj-text>not in a column</mj-text></mj-section>\n</mj-body>\n</mjml>',
    })
    const template = await loadTemplate('confirm', { siteDir: site })
    await expect(renderEmail(template, view)).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      location: { file: template.file, line: 3 },
    })
  })

  it('refuses odd template names and reports a missing template', async () => {
    await expect(loadTemplate('../secret', { siteDir: '/x' })).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' })
    await expect(loadTemplate('nothing-here', { siteDir: '/x' })).rejects.toThrow(/no nothing-here\.mjml/)
  })

  it('inserts {{{ }}} unescaped for trusted HTML only', () => {
    expect(fillTemplate({ name: 't', file: 't', source: '{{a}}|{{{a}}}' }, { a: '<b>' })).toBe('&lt;b&gt;|<b>')
  })
})
