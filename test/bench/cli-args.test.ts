import { BenchArgsError, DEFAULT_DYNAMO_DELAY_MS, parseBenchArgs } from '../../bench/cli-args';
import { SCENARIO_NAMES } from '../../bench/results';

describe('parseBenchArgs', () => {
  it('runs every scenario, full size, by default', () => {
    expect(parseBenchArgs([])).toEqual({ quick: false, only: false, scenarios: [...SCENARIO_NAMES], dynamoDelayMs: DEFAULT_DYNAMO_DELAY_MS, help: false });
    expect(DEFAULT_DYNAMO_DELAY_MS).toBe(4);
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

  it('says whether --only was given', () => {
    expect(parseBenchArgs(['--only', 'overhead']).only).toBe(true);
    expect(parseBenchArgs(['--quick']).only).toBe(false);
  });

  it('takes the DynamoDB delay of overhead\'s second configuration, and refuses a bad one', () => {
    expect(parseBenchArgs(['--dynamo-delay-ms', '10']).dynamoDelayMs).toBe(10);
    expect(parseBenchArgs(['--dynamo-delay-ms', '2.5']).dynamoDelayMs).toBe(2.5);
    for (const bad of ['-1', 'fast', '', '5000']) expect(() => parseBenchArgs([`--dynamo-delay-ms=${bad}`])).toThrow(/--dynamo-delay-ms must be a number of milliseconds from 0 to 1000/);
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
