/**
 * Operations function (scaffolding): `GET /health`, `GET /v1/usage` (admin), `GET /openapi.json`.
 * No AI key: it never reads a task's secret.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  if (event.resource === '/health') {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'ok' }) };
  }
  return {
    statusCode: 501,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'NotImplemented', message: `${event.resource} is not implemented yet` } }),
  };
}
