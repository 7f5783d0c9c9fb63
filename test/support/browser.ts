/**
 * Headless Chromium for the browser tests, from the npm package `@sparticuz/chromium`: it ships a
 * brotli-compressed Chromium headless shell for x86_64 Linux, with the NSS libraries it links
 * against and a font, so `npm ci` is the whole set-up (no apt, no browser download). The package
 * was built for Amazon Linux 2023 and runs as it is on Debian: it needs only glibc.
 *
 * The files are unpacked once per package version into the temp folder, first into a private
 * staging folder that is then renamed into place: a run killed half-way, or two runs at once,
 * never leave a half-written browser for the next run to trip on.
 *
 * A browser that cannot start throws with the cause (never a skip): the page under test is part
 * of the product. `CHROMIUM_PATH` points the tests at another Chromium (a machine that is not
 * x86_64, say) instead of the packaged one.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

/** As root, with no network: no sandbox, and nothing that calls home (refused connections slow the start). */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const COMPLETE = '.unpacked';

export interface PackagedChromium {
  executablePath: string;
  /** The environment the browser process needs: the shipped NSS libraries and font configuration. */
  env: Record<string, string>;
}

/** The package's `bin` folder and version, found the way Node resolves it (its exports hide package.json). */
function packageBin(): { bin: string; version: string } {
  const entry = require.resolve('@sparticuz/chromium'); // .../build/cjs/index.cjs
  const root = join(dirname(entry), '..', '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { bin: join(root, 'bin'), version };
}

async function unbrotli(source: string, target: string): Promise<void> {
  await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(target, { mode: 0o700 }));
}

async function untarBrotli(source: string, folder: string): Promise<void> {
  // tar-fs is the package's own dependency, so it is resolved from the package, not from us.
  const tar = createRequire(require.resolve('@sparticuz/chromium'))('tar-fs') as { extract(folder: string): NodeJS.WritableStream };
  await pipeline(createReadStream(source), createBrotliDecompress(), tar.extract(folder));
}

function environmentFor(folder: string): Record<string, string> {
  return { LD_LIBRARY_PATH: join(folder, 'al2023', 'lib'), FONTCONFIG_PATH: join(folder, 'fonts'), HOME: folder };
}

/** Unpacks the packaged Chromium (once per version; about 2 s) and says how to start it. */
export async function packagedChromium(): Promise<PackagedChromium> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`@sparticuz/chromium ships Chromium for x86_64 Linux only, and this is ${process.platform}/${process.arch}; set CHROMIUM_PATH to a local Chromium`);
  }
  const { bin, version } = packageBin();
  const folder = join(tmpdir(), `smartdental-chromium-${version}`);
  if (!existsSync(join(folder, COMPLETE))) {
    const staging = mkdtempSync(join(tmpdir(), `smartdental-chromium-${version}-staging-`));
    try {
      mkdirSync(join(staging, 'al2023'));
      await Promise.all([
        unbrotli(join(bin, 'chromium.br'), join(staging, 'chromium')),
        untarBrotli(join(bin, 'al2023.tar.br'), join(staging, 'al2023')),
        untarBrotli(join(bin, 'fonts.tar.br'), staging),
      ]);
      // The shipped fonts.conf names Lambda's folders; this one names ours (and the system's fonts).
      writeFileSync(
        join(staging, 'fonts', 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(folder, 'fonts')}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${join(folder, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
      );
      writeFileSync(join(staging, COMPLETE), `${version}\n`);
      renameSync(staging, folder);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another run renamed its copy into place first: use that one.
      if (!existsSync(join(folder, COMPLETE))) throw error;
    }
  }
  return { executablePath: join(folder, 'chromium'), env: environmentFor(folder) };
}

/** The shared libraries the dynamic loader cannot find for this binary, for the error message. */
function missingLibraries(executablePath: string, env: Record<string, string>): string {
  try {
    const out = execFileSync('ldd', [executablePath], { env: { ...process.env, ...env }, encoding: 'utf8' });
    return out.split('\n').filter((line) => line.includes('not found')).map((line) => line.trim().split(' ')[0]).join(', ');
  } catch {
    return '';
  }
}

/**
 * Starts headless Chromium (the packaged one, or `CHROMIUM_PATH`), or throws an error that says
 * which browser could not start and why.
 */
export async function launchChromium(): Promise<Browser> {
  const override = process.env.CHROMIUM_PATH;
  let executablePath = override ?? '(the browser of @sparticuz/chromium)';
  let env: Record<string, string> = {};
  try {
    if (!override) ({ executablePath, env } = await packagedChromium());
    return await chromium.launch({ executablePath, args: ARGS, env: { ...(process.env as Record<string, string>), ...env } });
  } catch (error) {
    const missing = existsSync(executablePath) ? missingLibraries(executablePath, env) : '';
    throw new Error(
      `Headless Chromium could not be started from ${executablePath}` +
        (missing ? `; shared libraries not found: ${missing}` : '') +
        `. It comes from the npm package @sparticuz/chromium (run \`npm ci\`), or from CHROMIUM_PATH when that is set. ` +
        `Cause: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
