/**
 * The layer rules of ARCHITECTURE.md, checked on every import (part of `npm run lint`):
 * - app/ reaches server code only through the load context (type imports are fine);
 * - UI code takes enum values from protocol/domain-values.ts, never from db/schema;
 * - card-agent/ depends on protocol/ and nothing else of ours;
 * - protocol/ is the shared contract and depends on nothing of ours;
 * - domain modules in db/ use only what both engines have (no better-sqlite3-only calls).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const sourceFolders = [
  'app',
  'server',
  'db',
  'card-agent',
  'protocol',
  'test-support',
  'scripts',
  'bench',
  'e2e',
];
const skippedFolders = new Set(['node_modules', 'build', 'migrations', 'public']);

export interface Violation {
  file: string;
  line: number;
  rule: string;
}

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (skippedFolders.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

const isTest = (file: string) =>
  /\.(test|spec|bench)\.tsx?$/.test(file) ||
  /(^|\/)test-[^/]*\.ts$/.test(file) ||
  file.includes(`${sep}testing${sep}`);
const topFolder = (file: string) => relative(root, file).split(sep)[0] ?? '';

interface ImportFact {
  target: string;
  typeOnly: boolean;
  line: number;
}

function importsOf(file: string, text: string): ImportFact[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const facts: ImportFact[] = [];
  const add = (specifier: ts.Expression, typeOnly: boolean, node: ts.Node) => {
    if (!ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
    const target = relative(root, resolve(join(file, '..'), specifier.text));
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    facts.push({ target, typeOnly, line });
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const everyNameTypeOnly =
        !!named && ts.isNamedImports(named) && !clause?.name && named.elements.every((e) => e.isTypeOnly);
      add(statement.moduleSpecifier, !!clause?.isTypeOnly || everyNameTypeOnly, statement);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      add(statement.moduleSpecifier, statement.isTypeOnly, statement);
    }
  }
  return facts;
}

const syncOnlyCalls = /\.(get|all|run|values)\(\)|\$client\b/;

export function checkFile(file: string, text: string): Violation[] {
  const violations: Violation[] = [];
  const name = relative(root, file);
  const folder = topFolder(file);
  const test = isTest(file);
  for (const fact of importsOf(file, text)) {
    const targetFolder = fact.target.split(sep)[0];
    if (folder === 'app' && !test && targetFolder === 'server' && !fact.typeOnly) {
      violations.push({
        file: name,
        line: fact.line,
        rule: `app/ imports ${fact.target}: use the load context`,
      });
    }
    if (folder === 'app' && !test && fact.target.startsWith(`db${sep}schema`) && !fact.typeOnly) {
      violations.push({
        file: name,
        line: fact.line,
        rule: 'app/ takes values from db/schema: import them from protocol/domain-values',
      });
    }
    if (folder === 'card-agent' && !test && !['card-agent', 'protocol'].includes(targetFolder ?? '')) {
      violations.push({
        file: name,
        line: fact.line,
        rule: `card-agent/ imports ${fact.target}: only protocol/`,
      });
    }
    if (folder === 'protocol' && targetFolder !== 'protocol') {
      violations.push({
        file: name,
        line: fact.line,
        rule: `protocol/ imports ${fact.target}: it depends on nothing`,
      });
    }
  }
  const engineImplementation = name === join('db', 'engine.ts') || name.startsWith(join('db', 'engines'));
  if (folder === 'db' && !test && !engineImplementation) {
    text.split('\n').forEach((line, index) => {
      if (syncOnlyCalls.test(line)) {
        violations.push({
          file: name,
          line: index + 1,
          rule: 'db/ uses a SQLite-only call (.get/.all/.run/.values/$client): await the builder, see db/engine.ts',
        });
      }
    });
  }
  return violations;
}

function main(): void {
  const violations = sourceFolders
    .flatMap((folder) => sourceFiles(join(root, folder)))
    .flatMap((file) => checkFile(file, readFileSync(file, 'utf8')));
  for (const violation of violations) console.error(`${violation.file}:${violation.line}: ${violation.rule}`);
  if (violations.length > 0) {
    console.error(`${violations.length} layer rule violation(s)`);
    process.exitCode = 1;
  } else {
    console.log('layer rules: ok');
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
