/**
 * `npm start`: runs the whole gateway on this machine (see local/runtime/index.ts).
 *
 *   npm start -- [--port <n>] [--data-dir <dir>]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: npm start -- [options]

Runs the SmartDental AI gateway locally: the same function code behind a local API Gateway,
with embedded DynamoDB, queue, object store, Secrets Manager and a provider simulator.

Options:
  --port <n>          HTTP port on 127.0.0.1 (default: $PORT or 3000; 0 picks a free port)
  --data-dir <dir>    keep DynamoDB data, images and queued jobs in <dir> (default: in memory);
                      a restart after a kill finishes every job and frees its reservations
  -h, --help          show this help

Environment:
  SMARTDENTAL_DEV_TOKEN / SMARTDENTAL_DEV_PRACTICE       admin token and its practice
  SMARTDENTAL_DEV_TOKEN_2 / SMARTDENTAL_DEV_PRACTICE_2   non-admin token of another practice
  SMARTDENTAL_<TASK>_OPENAI_KEY, SMARTDENTAL_<TASK>_ANTHROPIC_KEY   real keys (comma-separated)
  SMARTDENTAL_LOCAL_MODEL_URL                            a local OpenAI-compatible model server
`;

function parsePort(value: string | undefined): number {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer from 0 to 65535, got '${value}'`);
  }
  return port;
}

async function main(): Promise<void> {
  let values: { port?: string; 'data-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  let port: number;
  try {
    port = parsePort(values.port ?? process.env.PORT ?? '3000');
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  // Set before any SDK client exists: Lambda runs Node 24, this machine may run 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // dynalite answers from this process, whose event loop also serves the API: see functions/core/dynamo.ts.
  process.env.DYNAMODB_CONNECTION_TIMEOUT_MS ??= '10000';
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : undefined;

  process.stdout.write('Starting the local gateway: DynamoDB, queue, object store, secrets, provider simulator, functions…\n');
  const { startLocalRuntime } = await import('../local/runtime');
  const { formatBanner } = await import('../local/runtime/banner');
  const runtime = await startLocalRuntime({ port, dataDir, warmUp: 'background', onProgress: (line) => process.stdout.write(`  ${line}\n`) });
  const { releasedTokens, requeuedJobs, deletedImages } = runtime.recovery;
  if (releasedTokens + requeuedJobs.length + deletedImages.length > 0) {
    process.stdout.write(
      `Recovered ${dataDir}: ${releasedTokens} reserved tokens given back, ${requeuedJobs.length} imaging jobs queued again, ${deletedImages.length} orphan images deleted.\n`,
    );
  }
  process.stdout.write(formatBanner(runtime.describe()));
  // `npm run usage` finds the running gateway's ledger through this file.
  const stateFile = resolve('.smartdental', 'local.json');
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify({ dynamoEndpoint: runtime.endpoints.dynamodb, usageTable: runtime.tables.usage, practiceOverridesTable: runtime.tables.practiceOverrides, pid: process.pid }, null, 2)}\n`);
  runtime.ready.then(
    (ms) => process.stdout.write(`All functions are warm ${(ms / 1000).toFixed(1)} s after start.\n`),
    (error: unknown) => process.stderr.write(`A function failed to load: ${(error as Error).message}\n`),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    // A second Ctrl-C, or a close that hangs, must not leave the terminal stuck.
    setTimeout(() => process.exit(1), 10_000).unref();
    rmSync(stateFile, { force: true });
    runtime.close().then(
      () => {
        process.stdout.write('Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
