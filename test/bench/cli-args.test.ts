import { BenchArgsError, parseBenchArgs } from '../../bench/cli-args';
import { SCENARIO_NAMES } from '../../bench/results';

describe('parseBenchArgs', () => {
  it('runs every scenario, full size, by default', () => {
    expect(parseBenchArgs([])).toEqual({ quick: false, scenarios: [...SCENARIO_NAMES], help: false });
  });

  it('takes --quick and --help', () => {
    expect(parseBenchArgs(['--quick']).quick).toBe(true);
    expect(parseBenchArgs(['-h']).help).toBe(true);
  });

  it('runs only the named scenarios, comma-separated or repeated, in catalogue order', () => {
    expect(parseBenchArgs(['--only', 'soak']).scenarios).toEqual(['soak']);
    expect(parseBenchArgs(['--only', 'soak,coldstart']).scenarios).toEqual(['coldstart', 'soak']);
    expect(parseBenchArgs(['--only', 'ledger', '--only', 'coldstart']).scenarios).toEqual(['coldstart', 'ledger']);
  });

  it('names the unknown scenario and lists the known ones', () => {
    expect(() => parseBenchArgs(['--only', 'speed'])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(['--only', 'speed'])).toThrow(/unknown scenario 'speed' \(known: coldstart, /);
  });

  it('refuses an empty --only, unknown options and positionals', () => {
    expect(() => parseBenchArgs(['--only', ','])).toThrow(/at least one scenario/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(BenchArgsError);
    expect(() => parseBenchArgs(['soak'])).toThrow(BenchArgsError);
  });
});
