import type { PostDate } from './dates.js'

/** Nikola's post statuses. `published` and `featured` posts go live on their date; the others never do. */
export type PostStatus = 'published' | 'featured' | 'draft' | 'private'
export const POST_STATUSES: readonly PostStatus[] = ['published', 'featured', 'draft', 'private']

/** A warning or error tied to a place in a post file. */
export interface PostProblem {
  /** 1-based line in the post (or sidecar) file, when known. */
  readonly line?: number
  /** Metadata field concerned, when there is one. */
  readonly field?: string
  readonly message: string
}

/** The markup of a post body: reStructuredText (`.rst`, `.txt`) or Markdown (`.md`, `.mdown`, `.markdown`). */
export type BodyFormat = 'rst' | 'markdown'

/** What a render needs besides the body; everything that changes the output is in here (and in the cache key). */
export interface RenderContext {
  readonly format?: BodyFormat
  /** The post's path relative to the site folder (includes may be relative to its folder). */
  readonly file?: string
  /** Files the body includes or lists, read beforehand: site-relative path → text, or null (missing, refused). */
  readonly files?: Readonly<Record<string, string | null>>
}

/** What the renderer makes of a post body. */
export interface RenderedBody {
  /** The whole body as HTML, links as the author wrote them (site links still `link://…` placeholders). */
  readonly html: string
  /** HTML before the `.. TEASER_END` marker, or null when the post has no marker. */
  readonly teaserHtml: string | null
  /** `html` for mail clients (videos as links, math as TeX, code with inline colours: email-html.ts); null when identical. */
  readonly emailHtml: string | null
  /** `teaserHtml` for mail clients; null when identical (or when there is no teaser). */
  readonly emailTeaserHtml: string | null
  /** The marker's own label (`.. TEASER_END: Read on`), or null for the language's default. */
  readonly readMoreLabel: string | null
  /** Problems found while rendering, lines relative to the body. */
  readonly warnings: readonly PostProblem[]
}

/** A post that loaded: metadata resolved, body rendered. */
export interface Post {
  /** Source path relative to the site folder, with `/` separators. */
  readonly file: string
  readonly slug: string
  readonly title: string
  readonly date: PostDate
  /** `updated` metadata, or the date. */
  readonly updated: PostDate
  readonly status: PostStatus
  /** Trimmed, de-duplicated (first spelling wins), in file order. */
  readonly tags: readonly string[]
  readonly category: string | null
  readonly author: string
  readonly description: string | null
  /** Nikola's `link` metadata: the external page a post is about. */
  readonly link: string | null
  readonly type: string | null
  /** Explicit `guid` metadata, or null. */
  readonly guid: string | null
  /** Absolute URL of `previewimage`, or null. */
  readonly previewImage: string | null
  /** Absolute permalink, percent-encoded the way Nikola does it. */
  readonly permalink: string
  /** Id used in feeds and in the publishing ledger: the `guid` metadata, otherwise the permalink (as Nikola). */
  readonly feedId: string
  /** Body HTML with every link and image made absolute against the permalink (for feeds and email). */
  readonly html: string
  /** Teaser HTML (absolute links), or null when the post has no `.. TEASER_END`. */
  readonly teaserHtml: string | null
  /** What digests show: `html` as mail clients can show it (no iframes, math as TeX, code with inline colours). */
  readonly emailHtml: string
  /** `teaserHtml` for email, or null. */
  readonly emailTeaserHtml: string | null
  /** Label of the read-more link in the site language (or the marker's own). */
  readonly readMoreLabel: string
  /** Other site files the body read (includes, listings), site-relative, missing ones too: a change there changes it. */
  readonly dependencies: readonly string[]
  /** Translations found beside the post (`foo.de.rst`), site-relative; they are not published (one language per site). */
  readonly translations: readonly string[]
  /** Every metadata key of the post, unknown ones included, as written. */
  readonly meta: Readonly<Record<string, string>>
  /** sha256 of the source (and sidecar), for caches and change detection. */
  readonly contentHash: string
  readonly warnings: readonly string[]
}

/** A post file that could not be loaded, with every reason, each naming the file (and line where known). */
export interface PostFailure {
  readonly file: string
  /** What could be read, for listing (`herald posts` still shows the file). */
  readonly slug: string | null
  readonly title: string | null
  readonly errors: readonly string[]
  readonly warnings: readonly string[]
}

/** All posts of a site: the good ones, sorted newest first, and the ones that failed. */
export interface PostCollection {
  readonly posts: readonly Post[]
  readonly failures: readonly PostFailure[]
}
