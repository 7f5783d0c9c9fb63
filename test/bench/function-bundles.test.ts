import { functionEntries, LAMBDA_BUNDLING, packageOf } from '../../bench/function-bundles';

describe('function bundles', () => {
  it('builds what the stack deploys: ESM, minified, source maps, node24, the AWS SDK external', () => {
    expect(LAMBDA_BUNDLING).toMatchObject({ format: 'esm', minify: true, sourcemap: true, sourcesContent: false, target: 'node24', external: ['@aws-sdk/*'] });
    expect(String(LAMBDA_BUNDLING.banner?.js)).toContain('createRequire');
  });

  it('covers every task function, the imaging worker and ops, each with its task environment', () => {
    const entries = functionEntries();
    expect(entries.map((e) => e.entry)).toEqual(
      expect.arrayContaining(['functions/clinical/handler.ts', 'functions/chat/handler.ts', 'functions/imaging/handler.ts', 'functions/imaging/worker.ts', 'functions/ops/handler.ts']),
    );
    expect(entries).toHaveLength(7);
    const worker = entries.find((e) => e.id === 'imaging-worker')!;
    expect(worker.env.FUNCTION_ROLE).toBe('worker');
    expect(JSON.parse(worker.env.TASK_CONFIG!).name).toBe('imaging');
  });

  it('attributes bundle bytes to the npm package they came from', () => {
    expect(packageOf('node_modules/zod/v4/classic/schemas.js')).toBe('zod');
    expect(packageOf('node_modules/@anthropic-ai/sdk/client.mjs')).toBe('@anthropic-ai/sdk');
    expect(packageOf('node_modules/a/node_modules/@scope/b/index.js')).toBe('@scope/b');
    expect(packageOf('functions/core/http.ts')).toBe('(own code)');
  });
});
