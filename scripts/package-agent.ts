/**
 * `npm run agent:package`: the card-agent (the "SITHS eID-app") as a Debian package,
 * dist/siths-card-agent_<version>_amd64.deb, built with dpkg-deb. Layout and reasons: docs/decisions/0015.
 *
 *   /usr/bin/siths-card-agent                      sh wrapper: the bundled Node on agent.mjs
 *   /usr/lib/siths-card-agent/node                 the Node 20 runtime this build runs on (the add-on's ABI)
 *   /usr/lib/siths-card-agent/agent.mjs            card-agent/main.ts bundled by esbuild (ESM, node20)
 *   /usr/lib/siths-card-agent/page.html            the window's page, read next to the bundle
 *   /usr/lib/siths-card-agent/node_modules/...     pcsclite (native, libpcsclite) and what it loads
 *   /usr/lib/systemd/user/siths-card-agent.service started with the user's graphical session
 *   /etc/xdg/autostart/siths-card-agent.desktop    the same at login on desktops without it
 *   /etc/siths-card-agent/config.json              conffile: the software distribution's server and code
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { agentVersion } from '../card-agent/version';

const repositoryRoot = resolve(import.meta.dirname, '..');
const packageFiles = join(repositoryRoot, 'card-agent', 'package');
export const packageName = 'siths-card-agent';
const libDir = join('usr', 'lib', packageName);

/**
 * What pcsclite needs at run time, module by module (its `nan` dependency is C++ headers for the build).
 * The packaged agent's `--help` loads all of it: the package test fails if a file is missing here.
 */
const runtimeModules: Record<string, string[]> = {
  pcsclite: ['package.json', 'index.js', 'lib', 'build/Release/pcsclite.node', 'LICENSE'],
  bindings: ['package.json', 'bindings.js', 'LICENSE.md'],
  'file-uri-to-path': ['package.json', 'index.js', 'LICENSE'],
};

/** Where the agent's bundle may come from: its own code, the shared contract, and npm packages. */
const allowedSources = ['card-agent', 'protocol', 'node_modules'];

export interface AgentPackage {
  file: string;
  bytes: number;
  version: string;
}

export interface BuildOptions {
  /** Default dist/. */
  outDir?: string;
  /**
   * xz (the default): the smallest file, read by every dpkg. zstd: a tenth of a second instead of about a
   * minute, for tests that unpack the package they build (about 40 % larger; dpkg 1.21.18 or later).
   */
  compression?: 'xz' | 'zstd';
}

/** Builds the package; the same inputs give the same tree and archive, laid out from scratch each time. */
export async function buildAgentPackage(options: BuildOptions = {}): Promise<AgentPackage> {
  checkBuildMachine();
  const outDir = resolve(options.outDir ?? join(repositoryRoot, 'dist'));
  const root = join(outDir, `${packageName}-root`);
  rmSync(root, { recursive: true, force: true });
  await bundleAgent(join(root, libDir, 'agent.mjs'));
  layOutFiles(root);
  writeControl(root);
  normaliseModes(root);
  const file = join(outDir, `${packageName}_${agentVersion}_amd64.deb`);
  rmSync(file, { force: true });
  execFileSync(
    'dpkg-deb',
    ['--root-owner-group', `-Z${options.compression ?? 'xz'}`, '--build', root, file],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      // The archive's timestamps do not change from one build to the next.
      env: { ...process.env, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? '1767225600' },
    },
  );
  return { file, bytes: statSync(file).size, version: agentVersion };
}

/** The Node that runs this script goes into the package, so it must be the one pcsclite was built for. */
function checkBuildMachine(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`the package is for linux-x64; this is ${process.platform}-${process.arch}`);
  if (process.versions.node.split('.')[0] !== '20')
    throw new Error(`the agent's runtime is Node 20; this script runs on ${process.version}`);
}

async function bundleAgent(outfile: string): Promise<void> {
  const result = await build({
    entryPoints: [join(repositoryRoot, 'card-agent', 'main.ts')],
    outfile,
    absWorkingDir: repositoryRoot,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: Object.keys(runtimeModules),
    // Bundled CommonJS packages call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const foreign = inputs.filter((input) => !allowedSources.includes(input.split('/')[0] ?? ''));
  if (foreign.length > 0) throw new Error(`the agent's bundle pulls in ${foreign.join(', ')}`);
  const native = [...new Set(inputs.map(packageDirOf).filter((dir) => dir && isNativePackage(dir)))];
  if (native.length > 0) throw new Error(`native packages bundled as JavaScript: ${native.join(', ')}`);
}

/** node_modules/a/b.js -> node_modules/a; node_modules/@s/a/b.js -> node_modules/@s/a. */
function packageDirOf(input: string): string | undefined {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  return parts.slice(0, at + (parts[at + 1]?.startsWith('@') ? 3 : 2)).join('/');
}

function isNativePackage(dir: string): boolean {
  const files = readdirSync(join(repositoryRoot, dir));
  return files.includes('binding.gyp') || files.includes('prebuilds');
}

function layOutFiles(root: string): void {
  const lib = join(root, libDir);
  copy(process.execPath, join(lib, 'node'));
  copy(join(repositoryRoot, 'card-agent', 'ui', 'page.html'), join(lib, 'page.html'));
  for (const [name, files] of Object.entries(runtimeModules)) {
    for (const file of files)
      copy(join(repositoryRoot, 'node_modules', name, file), join(lib, 'node_modules', name, file));
  }
  copy(join(packageFiles, packageName), join(root, 'usr', 'bin', packageName));
  copy(
    join(packageFiles, `${packageName}.service`),
    join(root, 'usr', 'lib', 'systemd', 'user', `${packageName}.service`),
  );
  copy(
    join(packageFiles, `${packageName}.desktop`),
    join(root, 'etc', 'xdg', 'autostart', `${packageName}.desktop`),
  );
  copy(join(packageFiles, 'config.json'), join(root, 'etc', packageName, 'config.json'));
  for (const script of ['postinst', 'prerm', 'postrm'])
    copy(join(packageFiles, script), join(root, 'DEBIAN', script));
}

function copy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

function writeControl(root: string): void {
  const installedKiB = Math.ceil(
    filesUnder(root)
      .filter((file) => !relative(root, file).startsWith(`DEBIAN${sep}`))
      .reduce((sum, file) => sum + statSync(file).size, 0) / 1024,
  );
  const control = [
    `Package: ${packageName}`,
    `Version: ${agentVersion}`,
    'Architecture: amd64',
    'Maintainer: siths-desk <siths-desk@region.example>',
    `Installed-Size: ${installedKiB}`,
    // pcsclite.node links libpcsclite; the Node runtime links libc, libstdc++ and libgcc_s.
    'Depends: pcscd, libpcsclite1, libc6 (>= 2.28), libstdc++6, libgcc-s1',
    // xdg-open opens the window when a question needs the user.
    'Recommends: xdg-utils',
    'Section: utils',
    'Priority: optional',
    'Description: SITHS eID-app: kortagent för SITHS-kort / card agent for SITHS cards',
    ' Läser SITHS-kort genom PC/SC (pcscd) åt siths-desk: inloggning, underskrift,',
    ' aktivering av reservkort och upplåsning, med sitt eget fönster för pinkoden.',
    ' Startar för den inloggade användaren.',
    ' .',
    ' Reads SITHS cards through PC/SC (pcscd) for siths-desk: login, signing,',
    ' reserve-card activation and unlock, with its own window for the PIN.',
    ' Starts for the logged-in user. Brings its own Node.js 20 runtime.',
    '',
  ].join('\n');
  writeFileSync(join(root, 'DEBIAN', 'control'), control);
  writeFileSync(join(root, 'DEBIAN', 'conffiles'), `/etc/${packageName}/config.json\n`);
}

/** Modes as Debian expects them whatever the checkout's umask: 0755 for directories and programs, else 0644. */
function normaliseModes(root: string): void {
  const programs = new Set(
    [
      join(libDir, 'node'),
      join('usr', 'bin', packageName),
      ...['postinst', 'prerm', 'postrm'].map((script) => join('DEBIAN', script)),
    ].map((path) => join(root, path)),
  );
  chmodSync(root, 0o755);
  for (const file of filesUnder(root, (dir) => chmodSync(dir, 0o755)))
    chmodSync(file, programs.has(file) ? 0o755 : 0o644);
}

function filesUnder(dir: string, onDirectory: (dir: string) => void = () => {}): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) return [path];
    onDirectory(path);
    return filesUnder(path, onDirectory);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const started = performance.now();
  const built = await buildAgentPackage();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${relative(process.cwd(), built.file)}: ${built.bytes} bytes (built in ${seconds} s)`);
}
