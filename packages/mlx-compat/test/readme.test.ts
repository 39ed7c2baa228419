// The README's quickstart port is this package's examples/quickstart.mjs,
// and running it prints what the README says it prints.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = (lang: string, after: string) => {
  const start = readme.indexOf('```' + lang, readme.indexOf(after));
  return readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('```', start + 3));
};

describe('README quickstart', () => {
  it('shows the example file verbatim and its real output', () => {
    const example = join(root, 'packages/mlx-compat/examples/quickstart.mjs');
    expect(block('js', '## Quickstart')).toBe(readFileSync(example, 'utf8'));
    const out = execFileSync('node', [example], { encoding: 'utf8', cwd: root });
    expect(block('text', '## Quickstart')).toBe(out);
  });
});
