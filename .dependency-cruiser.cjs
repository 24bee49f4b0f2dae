// The direction of src/, enforced in `npm test`: each layer imports only the layers below it.
//   cli → engine, endpoint → config → providers → transport → shell → core
//   engine → crates → spec → actions → shell → core
// core is src/errors.ts, src/text.ts, src/validate.ts and src/private-dir.ts.
const layer = (name) => `^src/${name}/`;
const CORE = '^src/(errors|text|validate|private-dir)\\.ts$';

/** `from` may import nothing matching `forbidden`. */
const only = (name, from, forbidden, comment) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: forbidden } });

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'import cycles make layers meaningless', from: {}, to: { circular: true } },
    only('core-is-the-bottom', CORE, '^src/(?!(errors|text|validate|private-dir)\\.ts$)', 'errors, text, validate and private-dir import nothing of forklift'),
    only('shell-imports-only-core', layer('shell'), '^src/(?!shell/|errors\\.ts|text\\.ts|validate\\.ts|private-dir\\.ts)'),
    only('actions-import-shell-and-core', layer('actions'), '^src/(spec|crates|engine|config|providers|transport|endpoint|cli)/'),
    only('spec-imports-actions-and-below', layer('spec'), '^src/(crates|engine|config|providers|transport|endpoint|cli)/'),
    only('crates-import-spec-and-below', layer('crates'), '^src/(engine|config|providers|transport|endpoint|cli)/'),
    only('transport-knows-no-provider', layer('transport'), '^src/(actions|spec|crates|engine|config|providers|endpoint|cli)/', 'transport → providers is upward'),
    only('providers-import-transport-and-below', layer('providers'), '^src/(actions|crates|engine|config|endpoint|cli)/'),
    only('config-imports-providers-and-below', layer('config'), '^src/(engine|endpoint|cli|crates|transport)/'),
    only('engine-never-imports-a-concrete-provider', layer('engine'), '^src/(providers/(?!types\\.ts$|registry\\.ts$)|endpoint/|cli/)', 'the engine sees Provider and the registry, never a provider folder'),
    only('endpoint-uses-public-provider-apis', layer('endpoint'), '^src/(providers/(?!local/index\\.ts$|cloudstack/index\\.ts$)|engine/|config/|cli/|crates/)', 'the fake cloud is built on the local provider\'s public API'),
    only('nothing-imports-the-cli', '^src/(?!cli/)', layer('cli')),
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    // Dynamic import() counts too: a lazy import is still a dependency.
    exoticRequireStrings: [],
    moduleSystems: ['es6'],
  },
};
