/**
 * Every task's default practice share comes from the catalog, is validated like the rest of the
 * entry, and can be changed per stage (preset or taskOverrides).
 */
import { CatalogError, resolveCatalog, TASK_NAMES } from '../../lib/catalog';

describe('practice shares in the catalog', () => {
  it('every task has a share of its day, of its minute and a concurrency cap below the whole task', () => {
    const catalog = resolveCatalog();
    for (const name of TASK_NAMES) {
      const { practiceShare, reservedConcurrency, worker } = catalog.byName[name];
      expect(practiceShare.dailyTokensPercent).toBeLessThan(100);
      expect(practiceShare.tokensPerMinutePercent).toBeLessThan(100);
      // One practice must not be able to hold every execution environment of the task.
      const ceiling = worker?.reservedConcurrency ?? reservedConcurrency;
      expect([name, practiceShare.concurrentRequests < (ceiling ?? Infinity)]).toEqual([name, true]);
    }
    // Diagnosis gets a larger share than patients' chat.
    expect(catalog.byName.clinical.practiceShare.dailyTokensPercent).toBeGreaterThan(catalog.byName.chat.practiceShare.dailyTokensPercent);
  });

  it.each([
    [{ dailyTokensPercent: 0, tokensPerMinutePercent: 20, concurrentRequests: 4 }, 'practiceShare.dailyTokensPercent'],
    [{ dailyTokensPercent: 10, tokensPerMinutePercent: 101, concurrentRequests: 4 }, 'practiceShare.tokensPerMinutePercent'],
    [{ dailyTokensPercent: 12.5, tokensPerMinutePercent: 20, concurrentRequests: 4 }, 'practiceShare.dailyTokensPercent'],
    [{ dailyTokensPercent: 10, tokensPerMinutePercent: 20, concurrentRequests: 0 }, 'practiceShare.concurrentRequests'],
    [{ dailyTokensPercent: 10, tokensPerMinutePercent: 20, concurrentRequests: 1.5 }, 'practiceShare.concurrentRequests'],
    [{ dailyTokensPercent: 10, tokensPerMinutePercent: 20 }, 'practiceShare.concurrentRequests'],
    [{ dailyTokensPercent: 10, tokensPerMinutePercent: 20, concurrentRequests: 4, weekly: 3 }, 'practiceShare'],
  ])('refuses the share %j, naming the field', (practiceShare, field) => {
    const resolve = () => resolveCatalog({ taskOverrides: { chat: { practiceShare } as never } });
    expect(resolve).toThrow(CatalogError);
    expect(resolve).toThrow(`task catalog: task 'chat', field '${field}'`);
  });

  it('accepts a whole task (100 %) and takes a stage override', () => {
    const whole = { dailyTokensPercent: 100, tokensPerMinutePercent: 100, concurrentRequests: 1 };
    expect(resolveCatalog({ taskOverrides: { billing: { practiceShare: whole } } }).byName.billing.practiceShare).toEqual(whole);
    expect(resolveCatalog({ stage: 'prod' }).byName.chat.practiceShare.concurrentRequests).toBe(20);
  });
});
