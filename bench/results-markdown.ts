/**
 * `bench/RESULTS.md` and the README's "Does isolation work?" section, rendered from results.json.
 * A missed target is written as a line starting with "MISSED:" at the top, never only as a cross
 * in a table.
 */
import { regressions, type BenchResults, type FigureTable, type FigureValue, type ScenarioResult } from './results';

export function formatFigure(value: FigureValue | undefined): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'n/a';
    if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
    return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return value;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function machineLine(results: BenchResults): string {
  const m = results.machine;
  return `${m.cpus} CPU cores (${m.cpuModel}), Node ${m.node}, ${m.platform}, ${(m.totalMemoryMb / 1024).toFixed(1)} GB RAM`;
}

export function renderResultsMarkdown(results: BenchResults): string {
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push('Produced by `npm run bench` (all scenarios, under 10 minutes on 2 cores), `npm run bench -- --quick` (scaled down, under 2 minutes) or `npm run bench -- --only <scenario>`. Every run talks to 127.0.0.1 only: the local runtime, dynalite and the provider simulator.', '');
  out.push(`Machine: ${machineLine(results)}. Last updated ${results.updatedAt}.`, '');
  out.push('Figures are ratios and counts where possible: this machine\'s absolute speed drifts from run to run.', '');

  out.push('## Regressions', '');
  const missed = regressions(results);
  if (missed.length === 0) out.push('None: every target below was met in the latest run of its scenario.');
  else out.push(...missed.map((line) => `- ${line}`));
  out.push('');

  out.push('## Targets', '');
  out.push(row(['scenario', 'target', 'measured', 'verdict']), row(['---', '---', '---', '---']));
  for (const r of results.scenarios) {
    if (r.status === 'failed') out.push(row([r.scenario, '(scenario did not run to the end)', r.reason ?? '', 'MISSED']));
    for (const t of r.targets) out.push(row([r.scenario, t.target, t.measured, t.met ? 'met' : 'MISSED']));
  }
  out.push('');

  for (const r of results.scenarios) out.push(...renderScenario(r));
  return `${out.join('\n').trimEnd()}\n`;
}

function renderScenario(r: ScenarioResult): string[] {
  const out: string[] = [];
  const seconds = (r.durationMs / 1000).toFixed(1);
  out.push(`## ${r.title} (\`${r.scenario}\`)`, '');
  out.push(`${r.mode === 'quick' ? 'Quick (scaled-down) run' : 'Full run'}, finished ${r.finishedAt}, took ${seconds} s. Status: ${r.status}.`, '');
  if (r.reason) out.push(`${r.status === 'failed' ? 'Failed' : 'Skipped'}: ${r.reason}`, '');
  const figures = Object.entries(r.figures);
  if (figures.length > 0) {
    out.push(row(['figure', 'value']), row(['---', '---:']));
    for (const [name, value] of figures) out.push(row([name, formatFigure(value)]));
    out.push('');
  }
  for (const [label, table] of Object.entries(r.tables ?? {})) out.push(...renderTable(label, table));
  if (r.notes.length > 0) {
    out.push(...r.notes.map((n) => `- ${n}`), '');
  }
  return out;
}

/** A table of rows keyed by name; each row an object of column → value. */
function renderTable(label: string, table: FigureTable): string[] {
  const rows = Object.entries(table);
  const nested = rows.every(([, v]) => typeof v === 'object' && v !== null);
  const out: string[] = [`**${label}**`, ''];
  if (!nested) {
    out.push(row(['figure', 'value']), row(['---', '---:']));
    for (const [name, value] of rows) out.push(row([name, formatFigure(value as FigureValue)]));
    return [...out, ''];
  }
  const columns = [...new Set(rows.flatMap(([, v]) => Object.keys(v as object)))];
  // Numbers right-aligned, words left-aligned.
  const numeric = (c: string) => rows.every(([, v]) => typeof (v as Record<string, FigureValue>)[c] !== 'string');
  out.push(row(['', ...columns]), row(['---', ...columns.map((c) => (numeric(c) ? '---:' : '---'))]));
  for (const [name, value] of rows) out.push(row([name, ...columns.map((c) => formatFigure((value as Record<string, FigureValue>)[c]))]));
  return [...out, ''];
}

/**
 * The README's "Does isolation work?" section from the latest isolation result. Paths are relative
 * to the repository root, where the README lives.
 */
export function renderReadmeSection(results: BenchResults): string {
  const isolation = results.scenarios.find((r) => r.scenario === 'isolation');
  const out: string[] = ['## Does isolation work?', ''];
  out.push(
    'One AI key and no per-task limits let a burst of patient chat slow or fail a dentist\'s diagnosis. `npm run bench -- --only isolation` measures it on this machine: steady clinical requests plus a chat burst at 10× chat\'s normal rate, sent through the local runtime\'s HTTP API to the provider simulator, which limits each key like a provider tier (requests and tokens per minute). It runs three ways: clinical alone; *shared* (all tasks on one key, no per-task concurrency limits, how the platform runs today); *isolated* (the catalog\'s own keys and limits).',
    '',
  );
  if (!isolation || isolation.status !== 'ok') {
    out.push(`No isolation figures yet${isolation?.reason ? ` (${isolation.reason})` : ''}: run \`npm run bench -- --only isolation\`.`, '');
  } else {
    const configs = isolation.tables?.configurations;
    if (configs) {
      out.push(...renderTable('Clinical requests per configuration', configs).slice(2));
    }
    for (const t of isolation.targets) out.push(`${t.met ? 'Target met' : 'MISSED'}: ${t.target} (measured ${t.measured}).`, '');
    out.push(`Measured ${isolation.finishedAt} on ${machineLine(results)}${isolation.mode === 'quick' ? ', quick run' : ''}.`, '');
  }
  out.push('![Clinical latency over time, shared key vs isolated keys, chat burst shaded](bench/isolation.svg)', '');
  out.push('Rerun with `npm run bench` (every scenario, under 10 minutes) or `npm run bench -- --only isolation`; all figures, and any target missed, are in [bench/RESULTS.md](bench/RESULTS.md).', '');
  return `${out.join('\n').trimEnd()}\n`;
}
