/** Builds API Gateway REST proxy events and Lambda contexts the way API Gateway and Lambda do. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { GROUPS_CLAIM, PRACTICE_CLAIM } from '../../functions/core/identity';

export interface EventOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  resource: string;
  path?: string;
  pathParameters?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  practiceId?: string | null;
  admin?: boolean;
}

export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const claims =
    options.practiceId === null
      ? undefined
      : { sub: 'user-1', [PRACTICE_CLAIM]: options.practiceId ?? 'practice-a', [GROUPS_CLAIM]: options.admin ? 'admin' : '' };
  return {
    resource: options.resource,
    path: options.path ?? options.resource,
    httpMethod: options.method ?? 'POST',
    headers: { 'Content-Type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      authorizer: claims ? { claims } : undefined,
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

export function lambdaContext(timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test-function',
    memoryLimitInMB: '256',
    awsRequestId: `aws-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
