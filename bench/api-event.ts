/**
 * API Gateway REST proxy events and Lambda contexts for calling a handler in process, shaped as
 * API Gateway and the Node.js runtime build them (identity in the Cognito authorizer's claims).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { GROUPS_CLAIM, PRACTICE_CLAIM } from '../functions/core/identity';

export function apiGatewayEvent(resource: string, body: unknown, practiceId: string): APIGatewayProxyEvent {
  const requestId = randomUUID();
  return {
    resource,
    path: resource,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer (checked by the authorizer)' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      requestId,
      resourcePath: resource,
      httpMethod: 'POST',
      stage: 'bench',
      authorizer: { claims: { sub: 'bench-user', [PRACTICE_CLAIM]: practiceId, [GROUPS_CLAIM]: '' } },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
