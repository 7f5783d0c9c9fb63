import { benchOutputFiles } from '../../bench/output-files';
import { parseBenchArgs } from '../../bench/cli-args';

describe('benchOutputFiles', () => {
  it('a full run writes the committed results and the README section', () => {
    const files = benchOutputFiles(parseBenchArgs([]));
    expect(files).toMatchObject({ kind: 'full', resultsJson: 'bench/results.json', resultsMarkdown: 'bench/RESULTS.md', readmeSection: 'bench/README-section.md' });
    expect(files.artifact('bench/isolation.svg')).toBe('bench/isolation.svg');
  });

  it.each([[['--quick']], [['--only', 'overhead']], [['--quick', '--only', 'ledger']]])('%j writes scratch files only, never the committed ones', (argv) => {
    const files = benchOutputFiles(parseBenchArgs(argv));
    expect(files.kind).toBe('scratch');
    expect(files.resultsJson).toBe('bench/results.quick.json');
    expect(files.resultsMarkdown).toBe('bench/RESULTS.quick.md');
    expect(files.readmeSection).toBeUndefined();
    expect(files.artifact('bench/isolation.svg')).toBe('bench/tmp/quick/isolation.svg');
    const committed = ['bench/results.json', 'bench/RESULTS.md', 'bench/README-section.md', 'bench/isolation.svg'];
    for (const path of [files.resultsJson, files.resultsMarkdown, files.artifact('bench/isolation.svg')]) expect(committed).not.toContain(path);
  });
});
