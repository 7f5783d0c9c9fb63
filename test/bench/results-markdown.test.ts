import type { BenchResults, ScenarioResult } from '../../bench/results';
import { formatFigure, renderReadmeSection, renderResultsMarkdown } from '../../bench/results-markdown';

const machine = { cpus: 2, cpuModel: 'test cpu', node: 'v20.0.0', platform: 'linux-x64', totalMemoryMb: 4096 };

function isolation(met: boolean): ScenarioResult {
  return {
    scenario: 'isolation',
    title: 'Isolation',
    status: 'ok',
    mode: 'full',
    finishedAt: '2026-11-26T10:00:00.000Z',
    durationMs: 90_000,
    figures: { 'isolated p95 / alone': met ? 1.02 : 1.6 },
    tables: { configurations: { alone: { 'clinical p95 ms': 210, 'clinical errors': 0 }, shared: { 'clinical p95 ms': 2400, 'clinical errors': 17 } } },
    targets: [{ target: 'isolated clinical p95 ≤ 1.1 × clinical alone', measured: met ? '1.02 ×' : '1.6 ×', met }],
    notes: ['a note | with a pipe'],
  };
}

describe('renderResultsMarkdown', () => {
  it('states plainly that nothing regressed when every target is met', () => {
    const md = renderResultsMarkdown({ updatedAt: '2026-11-26T10:00:00.000Z', machine, scenarios: [isolation(true)] });
    expect(md).toContain('None: every target below was met');
    expect(md).not.toContain('MISSED');
    expect(md).toContain('2 CPU cores (test cpu), Node v20.0.0');
    expect(md).toContain('| isolation | isolated clinical p95 ≤ 1.1 × clinical alone | 1.02 × | met |');
  });

  it('writes a missed target as a MISSED line at the top and in the targets table', () => {
    const md = renderResultsMarkdown({ updatedAt: 'x', machine, scenarios: [isolation(false)] });
    const regressionsSection = md.slice(md.indexOf('## Regressions'), md.indexOf('## Targets'));
    expect(regressionsSection).toContain('- MISSED: isolation: isolated clinical p95 ≤ 1.1 × clinical alone (measured 1.6 ×)');
    expect(md).toContain('| 1.6 × | MISSED |');
  });

  it('lists a scenario that could not run, with the reason', () => {
    const failed: ScenarioResult = { ...isolation(true), scenario: 'soak', status: 'failed', targets: [], figures: {}, tables: undefined, reason: 'the runtime did not start' };
    const md = renderResultsMarkdown({ updatedAt: 'x', machine, scenarios: [failed] });
    expect(md).toContain('MISSED: soak did not run to the end: the runtime did not start');
    expect(md).toContain('Failed: the runtime did not start');
  });

  it('renders row tables with one column per figure and escapes pipes', () => {
    const md = renderResultsMarkdown({ updatedAt: 'x', machine, scenarios: [isolation(true)] });
    expect(md).toContain('|  | clinical p95 ms | clinical errors |');
    expect(md).toContain('| shared | 2,400 | 17 |');
    expect(md).toContain('- a note | with a pipe');
    expect(md).toContain('| isolated p95 / alone | 1.02 |');
  });
});

describe('formatFigure', () => {
  it('formats numbers, booleans and missing values readably', () => {
    expect(formatFigure(1234567)).toBe('1,234,567');
    expect(formatFigure(0.12345)).toBe('0.123');
    expect(formatFigure(Number.NaN)).toBe('n/a');
    expect(formatFigure(true)).toBe('yes');
    expect(formatFigure(null)).toBe('–');
  });
});

describe('renderReadmeSection', () => {
  it('shows the per-configuration table, the verdict and the chart, with paths from the repository root', () => {
    const results: BenchResults = { updatedAt: 'x', machine, scenarios: [isolation(false)] };
    const section = renderReadmeSection(results);
    expect(section.startsWith('## Does isolation work?')).toBe(true);
    expect(section).toContain('| shared | 2,400 | 17 |');
    expect(section).toContain('MISSED: isolated clinical p95 ≤ 1.1 × clinical alone (measured 1.6 ×).');
    expect(section).toContain('](bench/isolation.svg)');
    expect(section).toContain('npm run bench -- --only isolation');
  });

  it('says there are no figures yet when isolation never ran', () => {
    expect(renderReadmeSection({ updatedAt: 'x', machine, scenarios: [] })).toContain('No isolation figures yet');
  });
});
