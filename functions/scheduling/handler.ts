/**
 * scheduling task API function (scaffolding): answers 501 until the task's handler lands.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export async function handler(_event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 501,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'NotImplemented', message: 'The scheduling task is not implemented yet' } }),
  };
}
