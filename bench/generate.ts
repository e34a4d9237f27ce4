import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

const WORDS = 'контейнеры виртуализация облако systemd docker kubernetes fedora libvirt сеть ядро кластер сервис демон образ релиз'.split(
  ' ',
)
const TAGS = (
  'virtualization containers clouds redhat libvirt systemd openshift geard docker hadoop yarn dockercon selinux google ibm ' +
  'rackspace atomic coreos etcd kubernetes microsoft mesosphere saltstack'
).split(' ')

/** A deterministic pseudo-random generator, so every run benchmarks the same posts. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** A post body shaped like the fixture: ~14 KB, ~20 paragraphs, ~45 inline links, bold paragraphs, an image. */
export function fixtureShapedBody(seed: number): string {
  const next = random(seed)
  const word = () => WORDS[Math.floor(next() * WORDS.length)]!
  const sentence = (words: number) => Array.from({ length: words }, word).join(' ')
  const paragraphs: string[] = ['**Это архивная статья**']
  for (let index = 0; index < 20; index++) {
    const lines: string[] = []
    for (let line = 0; line < 6; line++) {
      lines.push(
        next() < 0.4 ? `${sentence(4)} \`${sentence(3)}\n<https://example.org/${seed}/${index}/${line}>\`__ ${sentence(3)}` : sentence(9),
      )
    }
    paragraphs.push(lines.join('\n'))
    if (index === 10)
      paragraphs.push('.. image:: https://example.org/picture.png\n   :align: center\n   :width: 40.0%', `**${sentence(8)}**.`)
    if (index === 15) paragraphs.push(`${sentence(5)} \`${sentence(2)} </content/Итоговая-пачка-фич-${seed}>\`__.`)
  }
  return `${paragraphs.join('\n\n')}\n`
}

/** A whole post file (metadata + body) for post number `index`. */
export function fixtureShapedPost(index: number, baseDate = Date.UTC(2014, 0, 1)): string {
  const next = random(index + 7)
  const tags = Array.from({ length: 6 }, () => TAGS[Math.floor(next() * TAGS.length)]!).join(', ')
  const date = new Date(baseDate + index * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')
  return [
    `.. title: Новости номер ${index}`,
    `.. slug: новости-${index}`,
    `.. date: ${date}`,
    `.. tags: ${tags},`,
    '.. category: news',
    '.. author: Bench Author',
    '',
    fixtureShapedBody(index),
  ].join('\n')
}

/** Writes a site folder with `count` generated posts; returns its path. */
export async function writeGeneratedSite(dir: string, count: number): Promise<string> {
  await mkdir(path.join(dir, 'posts'), { recursive: true })
  await writeFile(
    path.join(dir, 'herald.yml'),
    'site:\n  url: https://bench.example.org/\n  title: Bench\n  language: ru\n  timezone: Europe/Moscow\n',
  )
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      writeFile(path.join(dir, 'posts', `post-${String(index).padStart(5, '0')}.rst`), fixtureShapedPost(index)),
    ),
  )
  return dir
}
