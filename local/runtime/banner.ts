/**
 * The start-up banner of `npm start`: every route, the tokens, where data is kept and which
 * provider each task talks to, so nobody wonders whether a demo spent real tokens.
 */
import type { RuntimeDescription } from './index';

export function formatBanner(d: RuntimeDescription): string {
  const lines: string[] = [];
  lines.push('', `SmartDental AI gateway (local) is listening on ${d.url}  (started in ${(d.startupMs / 1000).toFixed(1)} s)`);
  lines.push(`Operations page: ${d.url}/`);
  lines.push('Functions load their handlers in the background; a request that comes first waits for that cold start.', '');

  lines.push('Routes:');
  const width = Math.max(...d.routes.map((r) => r.path.length), '/_local/ops.json'.length);
  for (const r of d.routes) {
    const auth = r.public ? 'no token' : 'Bearer token';
    lines.push(`  ${r.method.padEnd(4)} ${r.path.padEnd(width)}  -> ${r.functionId} function (limit ${r.limit}, ${auth})`);
  }
  const local = [
    ['/', `operations page (open ${d.url}/ in a browser; refreshes every 2 s)`],
    ['/_local/ops.json', "the operations page's data: runtime stats joined with the usage ledger"],
    ['/_local/stats', 'runtime stats (in-flight, throttles, queue depth, dead letters)'],
  ];
  for (const [path, what] of local) lines.push(`  GET  ${path!.padEnd(width)}  -> ${what}`);
  lines.push('');

  lines.push('Tokens (Authorization: Bearer <token>):');
  for (const i of d.identities) {
    lines.push(`  ${i.token.padEnd(20)} practice ${i.practiceId}${i.groups.length ? `, groups ${i.groups.join(',')}` : ', no admin group'}`);
  }
  lines.push('');

  lines.push('Providers:');
  let simulated = false;
  let localModel = false;
  for (const t of d.tasks) {
    const chain = t.providers
      .map((p) => {
        if (p.source === 'simulated') simulated = true;
        if (p.source === 'local-model') localModel = true;
        const where =
          p.source === 'real' ? (p.provider === 'bedrock' ? `REAL Bedrock at ${p.target}, AWS credentials` : `REAL key x${p.keyCount}`) : p.source === 'local-model' ? `local model server ${p.target}` : 'SIMULATED';
        return `${p.provider} ${p.model} (${where})`;
      })
      .join(' -> ');
    lines.push(`  ${t.task.padEnd(11)} limit ${String(t.limit).padEnd(4)} ${chain}`);
  }
  if (simulated) {
    lines.push(`  Simulated providers answer from the provider simulator at ${d.simulatorUrl}; no real tokens are spent.`);
    lines.push('  Real keys: SMARTDENTAL_<TASK>_OPENAI_KEY / _ANTHROPIC_KEY, or local/secrets.json (see local/secrets.example.json).');
    if (d.tasks.some((t) => t.providers.some((p) => p.provider === 'bedrock' && p.source === 'simulated'))) {
      lines.push('  Real Bedrock: SMARTDENTAL_BEDROCK=real with AWS_REGION and AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) in the shell.');
    }
  }
  if (!localModel) lines.push('  openai-compatible targets go to the simulator; set SMARTDENTAL_LOCAL_MODEL_URL to use a local model server.');
  lines.push('');

  const w = d.imagingWorker;
  lines.push(
    `Imaging queue: worker limit ${w.limit}, at most ${w.maxConcurrency} batches of ${w.batchSize} at once, visibility ${w.visibilityTimeoutSeconds} s, dead letter after ${w.maxReceiveCount} receives.`,
  );
  lines.push(d.dataDir ? `Data: kept in ${d.dataDir} (DynamoDB and images survive restarts).` : 'Data: in memory (gone when you stop; use --data-dir <dir> to keep it).');
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
