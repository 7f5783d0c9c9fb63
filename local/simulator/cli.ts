/**
 * Runs the provider simulator on its own:
 *   npx tsx local/simulator/cli.ts [--port 4010] [--keys key1,key2] [--rpm 60] [--tpm 100000]
 *                                  [--latency-ms 50] [--jitter-ms 20] [--window fixed|sliding]
 * Without --keys it accepts any key. Settings can be changed later with POST /_sim/config.
 */
import { parseArgs } from 'node:util';
import { startProviderSimulator, type SimulatorKeyLimits } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    keys: { type: 'string' },
    rpm: { type: 'string' },
    tpm: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    'jitter-ms': { type: 'string', default: '0' },
    window: { type: 'string', default: 'fixed' },
  },
});

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a whole number, got '${value}'\n`);
    process.exit(2);
  }
  return n;
}

const limits: SimulatorKeyLimits = { rpm: integer('rpm', values.rpm), tpm: integer('tpm', values.tpm) };
const keyList = values.keys?.split(',').filter(Boolean) ?? [];
if (values.window !== 'fixed' && values.window !== 'sliding') {
  process.stderr.write(`--window must be fixed or sliding\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const simulator = await startProviderSimulator({
    port: integer('port', values.port),
    keys: Object.fromEntries(keyList.map((k) => [k, limits])),
    acceptAnyKey: keyList.length === 0,
    latency: { fixedMs: integer('latency-ms', values['latency-ms']) ?? 0, jitterMs: integer('jitter-ms', values['jitter-ms']) ?? 0 },
    rateLimitWindow: values.window as 'fixed' | 'sliding',
  });

  process.stdout.write(
    [
      `SmartDental provider simulator (all answers are simulated) listening on ${simulator.url}`,
      `  OpenAI base URL:    ${simulator.openaiBaseUrl}`,
      `  Anthropic base URL: ${simulator.anthropicBaseUrl}`,
      `  Bedrock endpoint:   AWS_ENDPOINT_URL_BEDROCK_RUNTIME=${simulator.bedrockEndpoint} (the SigV4 access key id is the key)`,
      `  keys:               ${keyList.length === 0 ? 'any key accepted' : `${keyList.length} configured`}`,
      `  admin:              GET ${simulator.url}/_sim/stats, POST ${simulator.url}/_sim/config`,
      `  PROVIDER_BASE_URLS='${JSON.stringify({ openai: simulator.openaiBaseUrl, anthropic: simulator.anthropicBaseUrl, 'openai-compatible': simulator.openaiBaseUrl })}'`,
      '',
    ].join('\n'),
  );

  const stop = () => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
