// The declarations are the API too: ports of MLX programs and code written
// for node-mlx (test/ports/) and the README's TypeScript and JavaScript
// examples compile under `tsc --strict --noEmit`, without casts, against the
// published declarations (dist/*.d.ts, as a user's `import 'mlx-compat'` sees them).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const portsDir = join(here, 'ports');
const ports = readdirSync(portsDir).filter((f) => f.endsWith('.ts')).map((f) => join(portsDir, f));

// README code blocks that import the packages, as virtual files beside the ports.
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)]
  .map((m) => m[1])
  .filter((code) => /from 'mlx-(compat|capi-bridge)'/.test(code))
  .map((code, i) => ({ file: join(portsDir, `readme-example-${i}.ts`), code }));

const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
  skipLibCheck: true,
};

describe('TypeScript declarations', () => {
  it('compile the ports of MLX programs and the README examples with --strict, without casts', () => {
    expect(ports.length).toBeGreaterThanOrEqual(4);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const f of ports) expect(readFileSync(f, 'utf8'), f).not.toMatch(/\bas (unknown|any|never)\b|<any>/);
    const host = ts.createCompilerHost(options);
    const virtual = new Map(examples.map((e) => [e.file, e.code]));
    const read = host.readFile.bind(host);
    host.readFile = (f) => virtual.get(f) ?? read(f);
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => virtual.has(f) || exists(f);
    const program = ts.createProgram([...ports, ...virtual.keys()], options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(root, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  });
});

describe('TypeScript declarations on an older lib', () => {
  // A strict project on lib es2022 with no node types, checking every
  // declaration file (no skipLibCheck): Symbol.dispose, which the scopes and
  // the exporter declare, is not in that lib.
  it('compile under lib es2022 without @types/node, and type scopes as disposable', () => {
    const file = join(portsDir, 'es2022-scope-example.ts');
    const code = [
      "import mlx from 'mlx-compat';",
      'const mx = mlx.core;',
      'const a = mx.array([1, 2, 3]);',
      'export const total = mx.sum(a).item();',
      'const digits = mx.printoptions(3);',
      'digits[Symbol.dispose]();',
      'const onCpu = mx.stream(mx.cpu);',
      'onCpu.dispose();',
      "export const ex: () => void = mx.exporter('/tmp/unused.mlxfn', (x) => x)[Symbol.dispose];",
    ].join('\n');
    const older: ts.CompilerOptions = { ...options, lib: ['lib.es2022.d.ts'], types: [], skipLibCheck: false };
    const host = ts.createCompilerHost(older);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (f === file ? code : read(f));
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => f === file || exists(f);
    const program = ts.createProgram([file], older, host);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName.replace(root, '') ?? ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(diagnostics).toEqual([]);
  });
});
