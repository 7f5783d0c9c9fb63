import { consoleProgress } from '../../bench/progress';

describe('consoleProgress', () => {
  it('stamps each line with the elapsed seconds', () => {
    const lines: string[] = [];
    let now = 1_000;
    const progress = consoleProgress({ write: (l) => lines.push(l), now: () => now });
    now = 13_500;
    progress.say('isolation: starting');
    expect(lines).toEqual(['[  12.5 s] isolation: starting']);
  });

  it('lets through at most one tick per key per interval', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = consoleProgress({ write: (l) => lines.push(l), now: () => now, intervalMs: 1_000 });
    progress.tick('soak', 'a');
    now = 500;
    progress.tick('soak', 'b');
    progress.tick('imaging', 'c');
    now = 1_000;
    progress.tick('soak', 'd');
    expect(lines.map((l) => l.slice(-1))).toEqual(['a', 'c', 'd']);
  });
});
