/**
 * What every function of a task needs, model access or not: its catalog entry (`TASK_CONFIG`),
 * logger and metrics, and the DynamoDB client. Kept apart from task-function.ts so a function
 * that never calls a model (the imaging API) bundles no provider SDK.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './dynamo';
import { ENV } from './env';
import { createObservability, type Observability } from './observability';
import { parseTaskConfig, type FunctionTaskConfig } from './task-config';

export interface FunctionBasics {
  config: FunctionTaskConfig;
  observability: Observability;
  doc: DynamoDBDocumentClient;
}

export function functionBasicsFromEnv(options: { env?: NodeJS.ProcessEnv; doc?: DynamoDBDocumentClient } = {}): FunctionBasics {
  const env = options.env ?? process.env;
  const config = parseTaskConfig(env[ENV.taskConfig]);
  if (env[ENV.task] && env[ENV.task] !== config.name) {
    throw new Error(`${ENV.task} is '${env[ENV.task]}' but ${ENV.taskConfig} describes '${config.name}'`);
  }
  return { config, observability: createObservability(config.name, env), doc: options.doc ?? documentClient() };
}

