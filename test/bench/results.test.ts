import { equalVerdict, mergeResults, regressions, verdict, type BenchResults, type MachineInfo, type ScenarioResult } from '../../bench/results';

const machine: MachineInfo = { cpus: 2, cpuModel: 'test cpu', node: 'v20.0.0', platform: 'linux-x64', totalMemoryMb: 4096 };

function result(scenario: ScenarioResult['scenario'], overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  return { scenario, title: scenario, status: 'ok', mode: 'full', finishedAt: '2026-11-26T10:00:00.000Z', durationMs: 1000, figures: {}, targets: [], notes: [], ...overrides };
}

describe('verdicts', () => {
  it('checks at-most and at-least limits', () => {
    expect(verdict('p95 ≤ 1.1×', 1.05, 1.1, (n) => `${n} ×`)).toEqual({ target: 'p95 ≤ 1.1×', measured: '1.05 ×', met: true });
    expect(verdict('p95 ≤ 1.1×', 1.2, 1.1, String).met).toBe(false);
    expect(verdict('≥ 0.9 R', 0.95, 0.9, String, 'atLeast').met).toBe(true);
    expect(verdict('≥ 0.9 R', 0.5, 0.9, String, 'atLeast').met).toBe(false);
  });

  it('never meets a target with a figure that could not be measured', () => {
    expect(verdict('≤ 3 ms', Number.NaN, 3, String).met).toBe(false);
  });

  it('equal counts say both numbers either way', () => {
    expect(equalVerdict('calls = distinct', 12, 12, 'calls')).toEqual({ target: 'calls = distinct', measured: '12 calls = 12 calls', met: true });
    expect(equalVerdict('calls = distinct', 13, 12)).toEqual({ target: 'calls = distinct', measured: '13 ≠ 12', met: false });
  });
});

describe('mergeResults', () => {
  it('replaces the scenarios run now, keeps the others, and orders them like the catalogue', () => {
    const previous: BenchResults = { updatedAt: 'x', machine, scenarios: [result('soak', { durationMs: 1 }), result('coldstart', { durationMs: 2 })] };
    const merged = mergeResults(previous, [result('soak', { durationMs: 3 }), result('ledger')], machine, new Date('2026-11-26T12:00:00Z'));
    expect(merged.updatedAt).toBe('2026-11-26T12:00:00.000Z');
    expect(merged.scenarios.map((r) => [r.scenario, r.durationMs])).toEqual([
      ['coldstart', 2],
      ['ledger', 1000],
      ['soak', 3],
    ]);
  });

  it('drops entries of scenarios that no longer exist', () => {
    const previous = { updatedAt: 'x', machine, scenarios: [{ ...result('soak'), scenario: 'retired' }] } as unknown as BenchResults;
    expect(mergeResults(previous, [], machine, new Date()).scenarios).toEqual([]);
  });
});

describe('regressions', () => {
  it('writes every missed target and every scenario that did not finish as a MISSED line', () => {
    const lines = regressions({
      updatedAt: 'x',
      machine,
      scenarios: [
        result('isolation', { targets: [{ target: 'isolated p95 ≤ 1.1 × alone', measured: '1.4 ×', met: false }, { target: 'zero errors', measured: '0', met: true }] }),
        result('imaging', { status: 'failed', reason: 'the local runtime did not start' }),
      ],
    });
    expect(lines).toEqual(['MISSED: isolation: isolated p95 ≤ 1.1 × alone (measured 1.4 ×)', 'MISSED: imaging did not run to the end: the local runtime did not start']);
  });
});
