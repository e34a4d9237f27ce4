import { describe, expect, it } from 'vitest'
import { parsePostDate } from '../../src/posts/dates.js'
import { splitTags } from '../../src/posts/load.js'
import { parseSidecar, splitMetadata } from '../../src/posts/metadata.js'
import { slugify } from '../../src/posts/slug.js'
import { encodeLink } from '../../src/posts/urls.js'

describe('metadata block (Nikola rule)', () => {
  it('reads the first block of ".. key: value" lines, ignores empty values and keeps line numbers', () => {
    const split = splitMetadata('.. title: Hello\n.. slug: hello\n.. category:\n.. link: \n.. Custom: x\n\nBody line 1\n')
    expect([...split.fields.keys()]).toEqual(['title', 'slug', 'custom'])
    expect(split.fields.get('slug')).toEqual({ value: 'hello', line: 2 })
    expect(split.body.trim()).toBe('Body line 1')
    expect(split.bodyStartLine).toBe(6)
  })

  it('only the first block counts; later comments are body', () => {
    const split = splitMetadata('.. title: A\n\n.. date: 2020-01-01\n\ntext')
    expect(split.fields.has('date')).toBe(false)
    expect(split.body).toContain('.. date: 2020-01-01')
  })

  it('a file without metadata lines is all body', () => {
    const split = splitMetadata('Just text\n\nMore')
    expect(split.fields.size).toBe(0)
    expect(split.bodyStartLine).toBe(1)
  })

  it('handles CRLF and a byte-order mark', () => {
    const split = splitMetadata('\uFEFF.. title: T\r\n.. date: 2020-01-01\r\n\r\nBody\r\n')
    expect(split.fields.get('title')?.value).toBe('T')
    expect(split.body.trim()).toBe('Body')
  })

  it('reads sidecars in both the ".. key: value" and the legacy positional form', () => {
    expect(parseSidecar('.. title: T\n.. date: 2020-01-01 10:00\n').get('date')?.value).toBe('2020-01-01 10:00')
    const legacy = parseSidecar('Legacy title\nlegacy-slug\n2020-01-01 10:00\na, b\n')
    expect(legacy.get('title')?.value).toBe('Legacy title')
    expect(legacy.get('slug')?.value).toBe('legacy-slug')
    expect(legacy.get('tags')).toEqual({ value: 'a, b', line: 4 })
  })
})

describe('tags', () => {
  it('splits on commas, trims, drops empties and repeats (the fixture: google twice, trailing comma)', () => {
    expect(splitTags('a, b,  google , google, c,      ')).toEqual(['a', 'b', 'google', 'c'])
  })
})

describe('post dates', () => {
  const iso = (value: string, zone = 'UTC') => {
    const parsed = parsePostDate(value, zone)
    if ('error' in parsed) throw new Error(parsed.error)
    return parsed.iso
  }

  it('reads a date without zone as local time with the offset then in force (Moscow 2014 was +04:00)', () => {
    expect(iso('2014-07-13 15:23:14', 'Europe/Moscow')).toBe('2014-07-13T15:23:14+04:00')
    expect(iso('2020-07-13 15:23:14', 'Europe/Moscow')).toBe('2020-07-13T15:23:14+03:00')
  })

  it('accepts slashes, no seconds, ISO 8601 with offset, "UTC+03:00" and Z', () => {
    expect(iso('2014/07/13 15:23', 'Europe/Moscow')).toBe('2014-07-13T15:23:00+04:00')
    expect(iso('2014-07-13T15:23:14+05:30')).toBe('2014-07-13T15:23:14+05:30')
    expect(iso('2014-07-13 15:23:14 UTC+03:00')).toBe('2014-07-13T15:23:14+03:00')
    // As Nikola (dateutil): `GMT-5` is a POSIX zone, whose sign is the opposite of ISO 8601's.
    expect(iso('2014-07-13 15:23:14 GMT-5')).toBe('2014-07-13T15:23:14+05:00')
    expect(iso('2014-07-13T11:23:14Z', 'Europe/Moscow')).toMatch(/^2014-07-13T11:23:14(Z|\+00:00)$/)
    expect(iso('2014-07-13', 'Europe/Berlin')).toBe('2014-07-13T00:00:00+02:00')
  })

  it('keeps the instant right', () => {
    const parsed = parsePostDate('2014-07-13 15:23:14', 'Europe/Moscow')
    expect('ms' in parsed && new Date(parsed.ms).toISOString()).toBe('2014-07-13T11:23:14.000Z')
  })

  it('explains what it cannot read', () => {
    expect(parsePostDate('next tuesday', 'UTC')).toEqual({ error: expect.stringContaining('expected e.g. 2014-07-13 15:23:14') })
    expect(parsePostDate('2014-13-45 10:00', 'UTC')).toEqual({ error: expect.stringContaining('not a real date') })
    expect(parsePostDate('2014-01-01 10:00 UTC+99:00', 'UTC')).toEqual({ error: expect.stringContaining('time zone') })
  })
})

describe('slugs and links (Nikola compatible)', () => {
  it('slugifies like Nikola (unidecode, lower-case, dashes)', () => {
    expect(slugify('Red Hat')).toBe('red-hat')
    expect(slugify('документация')).toBe('dokumentatsiia')
    expect(slugify('C++ & Rust!')).toBe('c++-rust')
  })

  it('percent-encodes paths like Nikola encodelink (upper-case hex, only unreserved and / kept)', () => {
    expect(encodeLink('https://x.org/content/Итоговая-пачка-фич-fedora-21')).toBe(
      'https://x.org/content/%D0%98%D1%82%D0%BE%D0%B3%D0%BE%D0%B2%D0%B0%D1%8F-%D0%BF%D0%B0%D1%87%D0%BA%D0%B0-%D1%84%D0%B8%D1%87-fedora-21',
    )
    expect(encodeLink('https://x.org/a%20b/')).toBe('https://x.org/a%20b/')
    expect(encodeLink('https://x.org/a,b(1)!')).toBe('https://x.org/a%2Cb%281%29%21')
  })
})
