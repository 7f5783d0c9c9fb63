/**
 * `npm start` as a developer runs it: the banner appears, the API answers, and Ctrl-C (SIGINT)
 * stops everything with exit code 0 and frees the port.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const tsxCli = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

it('starts with a banner, answers /health, and exits 0 on SIGINT leaving the port free', async () => {
  const child = spawn(process.execPath, [tsxCli, 'bin/local.ts', '--port', '0'], { cwd: root, env: { ...process.env, SMARTDENTAL_DEV_TOKEN: 'sigint-token' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onData = () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match && output.includes('Press Ctrl-C to stop')) resolve(match[1]!);
      };
      child.stdout.on('data', onData);
      void exited.then((code) => reject(new Error(`bin/local.ts exited with ${code} before its banner:\n${output}`)));
    });
    expect(output).toContain('sigint-token');
    expect(output).toContain('SIMULATED');
    expect(output).toContain('POST /v1/clinical/diagnoses');
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await portIsFree(Number(new URL(url).port))).toBe(true);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
