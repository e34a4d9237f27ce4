import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config-load.js'
import { snapshotPost } from '../../src/editions/snapshot.js'
import { loadPosts } from '../../src/posts/load.js'
import { createRstRenderer } from '../../src/posts/rst.js'
import { makeSite, post, siteConfig } from '../support/site.js'

const renderer = createRstRenderer()
const load = async (dir: string) => loadPosts({ config: await loadConfig(dir, {}), renderer })

describe('Nikola parity: one construct never takes a post down', () => {
  it('a post with one of each problem keeps everything else, with a marker and a file:line warning for each', async () => {
    const body = [
      // The body starts on line 5 of the file.
      'Intro paragraph with a `good link <https://example.org/>`_.',
      '',
      '.. imgae:: typo.png',
      '',
      '.. listing:: missing.py python',
      '',
      '.. include:: nowhere.rst',
      '',
      '.. include:: ../../etc/passwd',
      '',
      'See :doc:`no-such-post` and :nosuchrole:`x`.',
      '',
      '.. math::',
      '',
      '   a &= b \\\\',
      '   c &= d',
      '',
      'Inline :math:`\\frac{1}{2}` and |undefined| and `dangling`_.',
      '',
      'Outro paragraph.',
    ].join('\n')
    const dir = await makeSite({ 'posts/x.rst': post({ title: 'X', slug: 'x', date: '2020-01-01 10:00' }, body) })
    const { posts, failures } = await load(dir)
    expect(failures).toEqual([])
    const [loaded] = posts
    const warnings = loaded!.warnings.join('\n')
    expect(warnings).toMatch(/posts\/x\.rst:7: unknown directive "imgae"/)
    expect(warnings).toMatch(/posts\/x\.rst:9: listing listings\/missing\.py not found/)
    expect(warnings).toMatch(/posts\/x\.rst:11: include nowhere\.rst not found/)
    expect(warnings).toMatch(/posts\/x\.rst:13: include \.\.\/\.\.\/etc\/passwd is outside the site folder; refused/)
    expect(warnings).toMatch(/posts\/x\.rst:15: :doc: link to "no-such-post": no post has that slug/)
    expect(warnings).toMatch(/posts\/x\.rst:15: unknown role ":nosuchrole:"/)
    expect(warnings).toMatch(/substitution \|undefined\| is not defined/)
    expect(warnings).toMatch(/reference "dangling_" has no target/)
    const html = loaded!.html
    expect(html).not.toContain('render-failed')
    expect(html).not.toContain('root:')
    expect(html).toContain('<a href="https://example.org/">good link</a>')
    expect(html).toContain('\\begin{align*}\na &amp;= b \\\\\nc &amp;= d\n\\end{align*}')
    expect(html).toContain('<span class="math">\\(\\frac{1}{2}\\)</span>')
    expect(html).toContain('Outro paragraph.')
    expect(html.match(/class="problematic"/g)?.length).toBeGreaterThanOrEqual(8)
  })
})

describe("Nikola's roles and directives, resolved against the site's posts", () => {
  it(':doc:, link://slug, link://tag, listing, include (with its substitutions), thumbnail, youtube, post-list', async () => {
    const body = [
      'See :doc:`other` and :doc:`Custom <other#part>` and `slug link <link://slug/other>`_ and `tag <link://tag/Python>`_.',
      '',
      '.. listing:: hello.py python',
      '',
      '.. include:: snippets/defs.rst',
      '',
      'Defined in the include: |logo|.',
      '',
      '.. thumbnail:: /images/tesla.jpg',
      '',
      '.. youtube:: dQw4w9WgXcQ',
      '',
      '.. post-list::',
      '   :tags: python',
    ].join('\n')
    const dir = await makeSite({
      'posts/main.rst': post({ title: 'Main', slug: 'main', date: '2020-01-02 10:00' }, body),
      'posts/other.rst': post({ title: 'Other post', slug: 'other', date: '2020-01-01 10:00', tags: 'python' }),
      'listings/hello.py': 'def f(x):\n    return x < 2\n',
      'snippets/defs.rst': '.. |logo| image:: /images/logo.png\n',
    })
    const { posts } = await load(dir)
    const main = posts.find((candidate) => candidate.slug === 'main')!
    expect(main.warnings).toEqual([])
    const html = main.html
    expect(html).toContain('<a class="reference external" href="https://blog.example.org/posts/other/">Other post</a>')
    expect(html).toContain('href="https://blog.example.org/posts/other/#part">Custom</a>')
    expect(html).toContain('<a href="https://blog.example.org/posts/other/">slug link</a>')
    expect(html).toContain('<a href="https://blog.example.org/categories/python/">tag</a>')
    expect(html).toContain('href="https://blog.example.org/listings/hello.py.html">hello.py</a>')
    expect(html).toMatch(/<pre class="code python"><a id="rest_code_\w+-1"[^>]*><\/a><span class="k">def<\/span>/)
    expect(html).toContain('<img alt="logo" src="https://blog.example.org/images/logo.png" />')
    expect(html).toContain(
      '<a class="reference external image-reference" href="https://blog.example.org/images/tesla.jpg">' +
        '<img alt="/images/tesla.thumbnail.jpg" src="https://blog.example.org/images/tesla.thumbnail.jpg" /></a>',
    )
    expect(html).toContain('src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0&amp;wmode=transparent"')
    expect(html).toMatch(
      /<li class="post-list-item">\s*2020-01-01 10:00\s*\u00a0\s*<a href="https:\/\/blog\.example\.org\/posts\/other\/">Other post<\/a>/,
    )
    // Emails: no iframe (a linked preview image instead), code with inline colours, no <style> needed.
    expect(main.emailHtml).not.toContain('<iframe')
    expect(main.emailHtml).toContain(
      '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"><img src="https://img.youtube.com/vi/dQw4w9WgXcQ/',
    )
    expect(main.emailHtml).toContain('<span style="color:#008000;font-weight:bold">def</span>')
    expect(snapshotPost(main).html).toBe(main.emailHtml)
  })

  it('a listing named ./x, listings/x, /x or with backslashes is the same file: read, shown and linked (reST and Markdown)', async () => {
    const names = ['./hello.py', 'listings/hello.py', '/hello.py', 'sub\\\\deep.py', 'sub/./deep.py']
    const files: Record<string, string> = {
      'listings/hello.py': 'def hello():\n    return 1\n',
      'listings/sub/deep.py': 'def deep():\n    return 2\n',
    }
    names.forEach((name, index) => {
      const fields = { title: `L${index}`, slug: `l${index}`, date: '2020-01-01 10:00' }
      files[`posts/l${index}.rst`] = post(fields, `.. listing:: ${name} python\n\nSee \`it <link://listing/${name}>\`_.\n`)
      files[`posts/m${index}.md`] =
        `<!--\n.. title: M${index}\n.. slug: m${index}\n.. date: 2020-01-01 10:00\n-->\n\n{{% listing ${name} python %}}\n`
    })
    const dir = await makeSite(files, siteConfig('posts: [posts/*.rst, posts/*.md]'))
    const { posts } = await load(dir)
    expect(posts).toHaveLength(names.length * 2)
    for (const loaded of posts) {
      const deep = /sub/.test(names[Number(loaded.slug.slice(1))]!)
      expect(loaded.warnings, loaded.slug).toEqual([])
      expect(loaded.html, loaded.slug).toContain(deep ? 'deep' : 'hello')
      expect(loaded.html, loaded.slug).toContain(`href="https://blog.example.org/listings/${deep ? 'sub/deep' : 'hello'}.py.html"`)
      expect(loaded.dependencies, loaded.slug).toContain(deep ? 'listings/sub/deep.py' : 'listings/hello.py')
    }
  })

  it("emails: Vimeo and SoundCloud players become plain links, raw iframes too; feeds keep Nikola's iframes", async () => {
    const body = [
      '.. vimeo:: 12345',
      '   :width: 640',
      '   :height: 360',
      '',
      '.. soundcloud:: 678',
      '',
      '.. raw:: html',
      '',
      '   <iframe src="https://www.youtube.com/embed/abcdefghijk" title="Talk"></iframe>',
    ].join('\n')
    const dir = await makeSite({ 'posts/v.rst': post({ title: 'V', slug: 'v', date: '2020-01-01' }, body) })
    const [loaded] = (await load(dir)).posts
    expect(loaded!.html).toContain('<iframe src="https://player.vimeo.com/video/12345" width="640" height="360"')
    expect(loaded!.html).toContain('src="https://w.soundcloud.com/player/?url=http://api.soundcloud.com/tracks/678"')
    expect(loaded!.emailHtml).not.toContain('<iframe')
    expect(loaded!.emailHtml).toContain('<a href="https://vimeo.com/12345">▶ Watch the video on Vimeo</a>')
    expect(loaded!.emailHtml).toContain('▶ Listen on SoundCloud</a>')
    expect(loaded!.emailHtml).toContain('<img src="https://img.youtube.com/vi/abcdefghijk/hqdefault.jpg" alt="Talk"')
  })

  it('gist is a link, chart a note linking to the post, media embeds known players; code options as Nikola', async () => {
    const body = [
      '.. gist:: 2c6e4f1a0d',
      '   :file: demo.py',
      '',
      '.. chart:: Bar',
      '   :title: Downloads',
      '',
      "   'Nikola', [1, 2, 3]",
      '',
      '.. media:: https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      '',
      '.. sourcecode:: python',
      '   :linenos: 9',
      '   :emphasize-lines: 2',
      '   :name: example',
      '',
      '   a = 1',
      '   b = 2',
    ].join('\n')
    const dir = await makeSite({ 'posts/c.rst': post({ title: 'C', slug: 'c', date: '2020-01-01' }, body) })
    const [loaded] = (await load(dir)).posts
    expect(loaded!.warnings).toEqual([])
    expect(loaded!.html).toContain(
      '<a class="reference external" href="https://gist.github.com/2c6e4f1a0d#file-demo-py">demo.py (gist 2c6e4f1a0d)</a>',
    )
    expect(loaded!.html).toContain('Chart “Downloads” bar: <a class="reference external" href="https://blog.example.org/posts/c/">')
    expect(loaded!.html).toContain('src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0&amp;wmode=transparent"')
    // Numbered from 9 (two lines: numbers padded to the widest), the second emphasised.
    expect(loaded!.html).toMatch(
      /<div class="code"><table class="codetable"><tr><td class="linenos linenodiv"><a href="[^"]*-9"><code data-line-number=" 9">/,
    )
    expect(loaded!.html).toContain('<code data-line-number="10">')
    expect(loaded!.html).toMatch(/<span class="hll">[^\n]*b[^\n]*\n<\/span>/)
  })

  it('Markdown posts: Nikola comment metadata, fenced code, tables, footnotes, definition lists, abbreviations, teaser', async () => {
    const markdown = [
      '<!--',
      '.. title: Markdown',
      '.. slug: md',
      '.. date: 2020-01-01 10:00',
      '-->',
      '',
      'Intro with an HTML abbreviation[^1] and ~~old~~ text.',
      '',
      '<!-- TEASER_END -->',
      '',
      '# Heading',
      '',
      '```python',
      'def f():',
      '    return 1',
      '```',
      '',
      '| a | b |',
      '| - | - |',
      '| 1 | 2 |',
      '',
      'Term',
      ': Definition',
      '',
      '*[HTML]: Hyper Text Markup Language',
      '',
      '[^1]: The note.',
    ].join('\n')
    const dir = await makeSite({ 'posts/md.md': markdown }, siteConfig('posts: [posts/*.md]'))
    const [loaded] = (await load(dir)).posts
    expect(loaded!.title).toBe('Markdown')
    expect(loaded!.teaserHtml).toContain('<del>old</del>')
    expect(loaded!.teaserHtml).not.toContain('Heading')
    const html = loaded!.html
    expect(html).toContain('<abbr title="Hyper Text Markup Language">HTML</abbr>')
    expect(html).toContain('<sup id="fnref:1"><a class="footnote-ref" href="https://blog.example.org/posts/md/#fn:1">1</a></sup>')
    expect(html).toContain('<h2>Heading</h2>')
    expect(html).toContain('<pre class="code literal-block"><span class="k">def</span> <span class="nf">f</span>():')
    expect(html).toMatch(/<table>\s*<thead>\s*<tr>\s*<th>a<\/th>/)
    expect(html).toMatch(/<dl>\s*<dt>Term<\/dt>\s*<dd>Definition<\/dd>/)
    expect(html).toContain('<li id="fn:1">')
  })

  it('math: feeds carry \\(…\\) and align*/equation* as docutils writes them; emails the TeX itself', async () => {
    const dir = await makeSite({
      'posts/m.rst': post({ title: 'M', slug: 'm', date: '2020-01-01' }, 'Inline :math:`a<b`.\n\n.. math::\n\n   x = 1\n'),
    })
    const [loaded] = (await load(dir)).posts
    expect(loaded!.html).toContain('<span class="math">\\(a&lt;b\\)</span>')
    expect(loaded!.html).toContain('<div class="math">\n\\begin{equation*}\nx = 1\n\\end{equation*}\n</div>')
    expect(loaded!.emailHtml).toContain('<code class="math">a&lt;b</code>')
    expect(loaded!.emailHtml).not.toContain('katex')
  })
})

describe('discovery and URLs as Nikola finds them', () => {
  it('recursive globs with the sub-folder in the permalink, dot-folders skipped, translations paired, pretty_url', async () => {
    const dir = await makeSite(
      {
        'posts/top.rst': post({ title: 'Top', slug: 'top', date: '2020-01-01' }),
        'posts/2020/05/deep.rst': post({ title: 'Deep', slug: 'deep', date: '2020-05-01' }),
        'posts/.hidden/secret.rst': post({ title: 'Secret', slug: 'secret', date: '2020-01-01' }),
        'posts/trans.rst': post({ title: 'Trans', slug: 'trans', date: '2020-01-01' }),
        'posts/trans.de.rst': post({ title: 'Übersetzt', slug: 'uebersetzt', date: '2020-01-01' }),
        'posts/flat.rst': post({ title: 'Flat', slug: 'flat', date: '2020-01-01', pretty_url: 'False' }),
        'posts/md.md': '<!--\n.. title: Markdown\n.. slug: md\n.. date: 2020-01-01\n-->\n\nSome *Markdown* with `code`.\n',
      },
      siteConfig('posts: [posts/*.rst, posts/*.md]'),
    )
    const { posts, failures } = await load(dir)
    expect(failures).toEqual([])
    const bySlug = Object.fromEntries(posts.map((loaded) => [loaded.slug, loaded]))
    expect(Object.keys(bySlug).sort()).toEqual(['deep', 'flat', 'md', 'top', 'trans'])
    expect(bySlug.deep!.permalink).toBe('https://blog.example.org/posts/2020/05/deep/')
    expect(bySlug.flat!.permalink).toBe('https://blog.example.org/posts/flat.html')
    expect(bySlug.trans!.translations).toEqual(['posts/trans.de.rst'])
    expect(bySlug.md!.html).toBe('<p>Some <em>Markdown</em> with <code>code</code>.</p>')
  })

  it('site-wide pretty_urls: false gives .html addresses', async () => {
    const dir = await makeSite({ 'posts/a.rst': post({ title: 'A', slug: 'a', date: '2020-01-01' }) }, siteConfig('pretty_urls: false'))
    expect((await load(dir)).posts[0]!.permalink).toBe('https://blog.example.org/posts/a.html')
  })

  it('reads "UC+01:00" as Nikola does (UTC−01:00) and warns that it looks like a typo', async () => {
    const dir = await makeSite({ 'posts/a.rst': post({ title: 'A', slug: 'a', date: '2017-11-11 18:27:40 UC+01:00' }) })
    const [loaded] = (await load(dir)).posts
    expect(loaded!.date.iso).toBe('2017-11-11T18:27:40-01:00')
    expect(loaded!.warnings.join('\n')).toMatch(/posts\/a\.rst:3: .*"UC\+01:00" is read as Nikola reads it, UTC−01:00/)
  })

  it('reports a folder named x.rst, a FIFO, a symlink loop and a post over the size limit; loads the rest', async () => {
    const dir = await makeSite(
      {
        'posts/ok.rst': post({ title: 'Ok', slug: 'ok', date: '2020-01-01' }),
        'posts/folder.rst/inner.txt': 'not a post',
        'posts/big.rst': post({ title: 'Big', slug: 'big', date: '2020-01-01' }, 'x'.repeat(3000)),
      },
      siteConfig('max_post_kb: 2'),
    )
    execFileSync('mkfifo', [path.join(dir, 'posts/pipe.rst')])
    // A file name in Latin-1 (not UTF-8): "café.rst" written by an old tool.
    await writeFile(Buffer.concat([Buffer.from(path.join(dir, 'posts/caf')), Buffer.from([0xe9]), Buffer.from('.rst')]), 'x')
    await mkdir(path.join(dir, 'posts/loop'), { recursive: true })
    execFileSync('ln', ['-s', '../loop', path.join(dir, 'posts/loop/again')])
    await writeFile(path.join(dir, 'posts/loop/fine.rst'), post({ title: 'Fine', slug: 'fine', date: '2020-01-01' }))
    const { posts, failures } = await load(dir)
    expect(posts.map((loaded) => loaded.slug).sort()).toEqual(['fine', 'ok'])
    const errors = failures.flatMap((failure) => failure.errors).join('\n')
    expect(errors).toMatch(/posts\/folder\.rst: matches the posts glob but is a folder/)
    expect(errors).toMatch(/posts\/pipe\.rst: matches the posts glob but is not a regular file/)
    expect(errors).toMatch(/posts\/café\.rst: the file name is not valid UTF-8; rename it/)
    expect(errors).toMatch(/posts\/loop\/again: is a symbolic link back into a folder already read/)
    expect(errors).toMatch(/posts\/big\.rst: is 0\.0 MB, over the 2 KB limit \(max_post_kb in herald\.yml\); not rendered/)
  })
})
