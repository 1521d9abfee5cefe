import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFile } from './check-layers';

const root = resolve(import.meta.dirname, '..');
const at = (path: string) => resolve(root, path);

describe('checkFile', () => {
  it('refuses app/ importing a server/ value, and lets a type through', () => {
    const file = at('app/routes/example.ts');
    expect(checkFile(file, "import { scanLoginQr } from '../../server/mobile-siths/auth-orders';\n")).toEqual(
      [
        {
          file: 'app/routes/example.ts',
          line: 1,
          rule: 'app/ imports server/mobile-siths/auth-orders: use the load context',
        },
      ],
    );
    expect(
      checkFile(file, "import type { EnrolmentStatus } from '../../server/mobile-siths/enrolment';\n"),
    ).toEqual([]);
  });

  it('refuses app/ taking values from db/schema', () => {
    const violations = checkFile(
      at('app/people/example.tsx'),
      "import { cardStates } from '../../db/schema';\n",
    );
    expect(violations.map((violation) => violation.rule)).toEqual([
      'app/ takes values from db/schema: import them from protocol/domain-values',
    ]);
  });

  it('refuses card-agent/ importing anything but protocol/', () => {
    const file = at('card-agent/jobs/example.ts');
    expect(
      checkFile(file, "import { newId } from '../../db/ids';\n").map((violation) => violation.rule),
    ).toEqual(['card-agent/ imports db/ids: only protocol/']);
    expect(checkFile(file, "import { hsaIdSchema } from '../../protocol/identifiers';\n")).toEqual([]);
  });

  it('refuses protocol/ importing anything of ours', () => {
    const violations = checkFile(
      at('protocol/example.ts'),
      "import type { Logger } from '../server/logger';\n",
    );
    expect(violations.map((violation) => violation.rule)).toEqual([
      'protocol/ imports server/logger: it depends on nothing',
    ]);
  });

  it('refuses a SQLite-only call in a db/ domain module, with its line', () => {
    const text =
      "import { users } from './schema';\n\nexport const all = (db) => db.select().from(users).all();\n";
    expect(checkFile(at('db/example.ts'), text)).toEqual([
      {
        file: 'db/example.ts',
        line: 3,
        rule: 'db/ uses a SQLite-only call (.get/.all/.run/.values/$client): await the builder, see db/engine.ts',
      },
    ]);
  });

  it('passes a file that keeps every rule', () => {
    const text = [
      "import { json, type LoaderFunctionArgs } from '@remix-run/node';",
      "import type { EnrolmentStatus } from '../../server/mobile-siths/enrolment';",
      "import { cardStates } from '../../protocol/domain-values';",
      '',
      'export async function loader({ context }: LoaderFunctionArgs) {',
      '  return json({ states: cardStates, status: null as EnrolmentStatus | null, db: Boolean(context.db) });',
      '}',
    ].join('\n');
    expect(checkFile(at('app/routes/example.ts'), text)).toEqual([]);
  });
});
