import { parseTaskConfig } from '../../../../functions/core/task-config';
import { functionConfigFor, resolveCatalog } from '../../../../lib/catalog';

describe('the phi policy in the catalog', () => {
  it('is scrub for every task by default, and reaches the function in TASK_CONFIG', () => {
    const catalog = resolveCatalog();
    expect(catalog.tasks.map((t) => [t.name, t.phi])).toEqual(catalog.tasks.map((t) => [t.name, 'scrub']));
    expect(parseTaskConfig(JSON.stringify(functionConfigFor(catalog.byName.clinical))).phi).toBe('scrub');
  });

  it('takes a per-task override and refuses an unknown policy with a message naming the field', () => {
    expect(resolveCatalog({ taskOverrides: { chat: { phi: 'block' } } }).byName.chat.phi).toBe('block');
    expect(() => resolveCatalog({ taskOverrides: { chat: { phi: 'redact' as never } } })).toThrow(/phi/);
  });
});
