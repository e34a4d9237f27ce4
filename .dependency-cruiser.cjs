// Layers and cycles, checked by `npm test` (docs/architecture.md). Data flows one way:
//   cli (and worker.ts) → http → app → pipeline folders → foundation
// foundation = src/infra, src/config*.ts, src/errors.ts, src/log.ts, src/html.ts, src/i18n.
const PIPELINE = '^src/(posts|publishing|feeds|pages|editions|digest|queue|mail|subscribers|bounces)/'
const FOUNDATION = '^src/(infra/|i18n/|types/|config\\.ts|config-[a-z]*\\.ts|errors\\.ts|log\\.ts|html\\.ts)'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle: two modules that need each other belong together, or one needs an interface.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'foundation-is-the-bottom',
      severity: 'error',
      comment: 'infra/, config, errors, log, html and i18n may not import the pipeline, app, http or cli.',
      from: { path: FOUNDATION },
      to: { path: '^src/', pathNot: FOUNDATION },
    },
    {
      name: 'pipeline-below-app',
      severity: 'error',
      comment: 'Pipeline folders may not import app/, http/ or cli/.',
      from: { path: PIPELINE },
      to: { path: '^src/(app|http|cli)/' },
    },
    {
      name: 'app-below-entry-points',
      severity: 'error',
      comment: 'app/ may not import http/ or cli/: they call it, not the other way round.',
      from: { path: '^src/app/' },
      to: { path: '^src/(http|cli)/' },
    },
    {
      name: 'http-below-cli',
      severity: 'error',
      comment: 'http/ may not import cli/.',
      from: { path: '^src/http/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-tests-in-src',
      severity: 'error',
      comment: 'Sources never import tests or benchmarks.',
      from: { path: '^(src/|worker\\.ts)' },
      to: { path: '^(test|bench)/' },
    },
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    // TypeScript 7 (the type checker here) has no JavaScript API for dependency-cruiser; swc parses the sources.
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    exclude: { path: '^node_modules' },
  },
}
