declare module 'markdown-it-abbr' {
  import type { PluginSimple } from 'markdown-it'

  /** `*[HTML]: Hyper Text Markup Language` abbreviations → `<abbr title>`. */
  const abbr: PluginSimple
  export default abbr
}

declare module 'markdown-it-deflist' {
  import type { PluginSimple } from 'markdown-it'

  /** Definition lists (`Term` / `: definition`) → `<dl>`. */
  const deflist: PluginSimple
  export default deflist
}
