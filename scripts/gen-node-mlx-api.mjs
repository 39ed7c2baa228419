// Writes fixtures/node-mlx-api.json: the public API of node-mlx
// (@frost-beta/mlx), read from its type declarations: every function of
// `core` and its namespaces with each overload's parameters, the constants,
// and the classes with their members. The facade test walks this list.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const dts = require.resolve('@frost-beta/mlx/lib/index.d.ts');
const pkg = JSON.parse(readFileSync(require.resolve('@frost-beta/mlx/package.json'), 'utf8'));
const source = ts.createSourceFile(dts, readFileSync(dts, 'utf8'), ts.ScriptTarget.Latest, true);

const entries = [];
const params = (node) => node.parameters.map((p) => `${p.dotDotDotToken ? '...' : ''}${p.name.getText()}${p.questionToken ? '?' : ''}`);
function walk(block, prefix) {
  for (const st of block.statements) {
    if (ts.isModuleDeclaration(st) && st.body && ts.isModuleBlock(st.body)) walk(st.body, `${prefix}${st.name.text}.`);
    else if (ts.isFunctionDeclaration(st)) entries.push({ name: `${prefix}${st.name.text}`, kind: 'function', params: params(st) });
    else if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) entries.push({ name: `${prefix}${d.name.getText()}`, kind: 'constant' });
    else if (ts.isClassDeclaration(st)) {
      entries.push({ name: `${prefix}${st.name.text}`, kind: 'class' });
      for (const m of st.members) {
        if (ts.isConstructorDeclaration(m)) entries.push({ name: `${prefix}${st.name.text}`, kind: 'constructor', params: params(m) });
        else if (ts.isMethodDeclaration(m))
          entries.push({ name: `${prefix}${st.name.text}#${m.name.getText()}`, kind: 'method', params: params(m) });
        else if (ts.isPropertyDeclaration(m)) entries.push({ name: `${prefix}${st.name.text}#${m.name.getText()}`, kind: 'property' });
      }
    }
  }
}
const core = source.statements.find((s) => ts.isModuleDeclaration(s) && s.name.text === 'core');
walk(core.body, 'core.');
writeFileSync(
  new URL('../fixtures/node-mlx-api.json', import.meta.url),
  `${JSON.stringify({ package: '@frost-beta/mlx', version: pkg.version, source: 'lib/index.d.ts', entries }, null, 1)}\n`,
);
console.log(`${entries.length} entries`);
