/**
 * The catalog's default models must be current: listed in the installed SDKs' model types and not
 * in the Anthropic SDK's deprecation table. Upgrading an SDK that drops a model fails this test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MODELS, MODEL_PRICES, TASK_CATALOG } from '../../lib/catalog';

// The SDKs' export maps hide these files, so they are read from the installed package folders.
const packageFile = (pkg: string, file: string) => join(process.cwd(), 'node_modules', pkg, file);
const { DEPRECATED_MODELS } = require(packageFile('@anthropic-ai/sdk', 'internal/data/deprecated-models.js')) as { DEPRECATED_MODELS: Record<string, string> };

function modelUnion(file: string, typeName: string): string[] {
  const text = readFileSync(file, 'utf8');
  const match = new RegExp(`export type ${typeName} = ([^;]+);`).exec(text);
  if (!match) throw new Error(`${typeName} not found in ${file}`);
  return [...match[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

const openaiModels = modelUnion(packageFile('openai', 'resources/shared.d.ts'), 'ChatModel');
const anthropicModels = modelUnion(packageFile('@anthropic-ai/sdk', 'resources/messages/messages.d.ts'), 'Model');

describe('default models', () => {
  it('reads non-trivial model lists from the SDKs', () => {
    expect(openaiModels.length).toBeGreaterThan(10);
    expect(anthropicModels.length).toBeGreaterThan(5);
  });

  const targets = Object.values(TASK_CATALOG).flatMap((task) => task.providers.map((p) => ({ task: task.name, ...p })));

  it.each(targets.filter((t) => t.provider === 'openai'))('$task uses an OpenAI model from ChatModel: $model', ({ model }) => {
    expect(openaiModels).toContain(model);
  });

  it.each(targets.filter((t) => t.provider === 'anthropic'))('$task uses a current Anthropic model: $model', ({ model }) => {
    expect(anthropicModels).toContain(model);
    expect(Object.keys(DEPRECATED_MODELS)).not.toContain(model);
  });

  it('prices every default model', () => {
    for (const model of Object.values(DEFAULT_MODELS)) expect(MODEL_PRICES[model]).toBeDefined();
  });
});
