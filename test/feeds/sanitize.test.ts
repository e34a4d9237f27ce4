import { describe, expect, it } from 'vitest'
import { checkXml, formatXmlProblem } from '../../src/feeds/check.js'
import { escapeXmlAttribute, escapeXmlText, stripForbiddenXmlChars } from '../../src/feeds/sanitize.js'
import { parseXml } from './support/xml.js'

describe('stripForbiddenXmlChars', () => {
  it('removes C0 controls except tab, LF and CR, U+FFFE/U+FFFF and lone surrogates', () => {
    expect(stripForbiddenXmlChars('a\u0000b\u0001c\u0008d\u000be\u000cf\u001fg')).toBe('abcdefg')
    expect(stripForbiddenXmlChars('tab\tlf\ncr\r')).toBe('tab\tlf\ncr\r')
    expect(stripForbiddenXmlChars('x\uFFFEy\uFFFFz')).toBe('xyz')
    expect(stripForbiddenXmlChars('lone \uD800 high, lone \uDC00 low')).toBe('lone  high, lone  low')
    expect(stripForbiddenXmlChars('pair \u{1F600} \uD83D\uDE00')).toBe('pair \u{1F600} \u{1F600}')
    expect(stripForbiddenXmlChars('Привет «мир» \u0085 \u00A0')).toBe('Привет «мир» \u0085 \u00A0')
  })
})

describe('escaping', () => {
  const hostile = 'a < b & c > d "q" \'s\' ]]> \t\n\r \u0001 end'
  const intended = 'a < b & c > d "q" \'s\' ]]> \t\n\r  end'

  it('text and attribute values round-trip through a real parser', () => {
    const xml = `<r a="${escapeXmlAttribute(hostile)}"><t>${escapeXmlText(hostile)}</t></r>`
    expect(checkXml(xml)).toBeNull()
    const root = parseXml(xml)
    expect(root.attributes.a).toBe(intended)
    expect(root.children[0]!.text).toBe(intended)
  })
})

describe('checkXml', () => {
  it('accepts a well-formed document', () => {
    expect(checkXml('<?xml version="1.0"?>\n<a xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>x</dc:creator></a>')).toBeNull()
  })

  it('reports the first problem with its line and column', () => {
    const problem = checkXml('<a>\n<b x="1<2"/></a>')
    expect(problem).toMatchObject({ line: 2, message: 'disallowed character.' })
    expect(formatXmlProblem(problem!)).toMatch(/^line 2, column \d+: disallowed character\.$/)
  })

  it('rejects unbound prefixes, forbidden characters, a second ]]> and empty documents', () => {
    expect(checkXml('<a><dc:creator>x</dc:creator></a>')?.message).toMatch(/unbound namespace prefix/)
    expect(checkXml('<a>\u0001</a>')?.message).toMatch(/disallowed character/)
    expect(checkXml('<a><![CDATA[x]]]]><![CDATA[>y ]]> z]]></a>')).not.toBeNull()
    expect(checkXml('')?.message).toMatch(/root element/)
  })
})
