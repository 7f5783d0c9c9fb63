/**
 * API Gateway's own answers in the template: every customised type has the project's error body,
 * the status the front end is built against (a task at its concurrency limit is a 429 with
 * Retry-After, not the default 500), and the CORS headers.
 */
import { GATEWAY_ANSWERS, gatewayResponseBody, gatewayResponseTemplate, type GatewayAnswer } from '../../lib/gateway-responses';
import { synthGateway, type SynthesizedGateway } from './stack-fixture';

let gw: SynthesizedGateway;
beforeAll(() => {
  gw = synthGateway();
});

const responses = () => Object.values(gw.template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties);
const responseOf = (type: string) => responses().find((r) => r.ResponseType === type);

it('customises exactly the types in the table, once each', () => {
  expect(responses().map((r) => r.ResponseType).sort()).toEqual(Object.values(GATEWAY_ANSWERS).map((a) => a.type).sort());
});

it.each(Object.entries(GATEWAY_ANSWERS) as Array<[string, GatewayAnswer]>)('%s: status, body template, Retry-After and CORS headers', (_name, answer) => {
  const response = responseOf(answer.type)!;
  expect(response.StatusCode).toBe(answer.statusCode === undefined ? undefined : String(answer.statusCode));
  expect(response.ResponseTemplates).toEqual({ 'application/json': gatewayResponseTemplate(answer) });
  expect(response.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'http://localhost:5173'");
  expect(response.ResponseParameters['gatewayresponse.header.Retry-After']).toBe(answer.retryAfterSeconds === undefined ? undefined : `'${answer.retryAfterSeconds}'`);
});

it('a throttled function (INTEGRATION_FAILURE) is a 429 TaskAtCapacity with Retry-After: 1, not 500 Internal server error', () => {
  const response = responseOf('INTEGRATION_FAILURE')!;
  expect(response.StatusCode).toBe('429');
  expect(response.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
  expect(JSON.parse(response.ResponseTemplates['application/json'].replace('$context.requestId', 'r-1'))).toEqual({
    error: { code: 'TaskAtCapacity', message: expect.stringContaining('concurrency limit'), requestId: 'r-1' },
  });
});

it("the DEFAULT_* fallbacks keep each error's own status and carry API Gateway's message", () => {
  for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
    const response = responseOf(type)!;
    expect(response.StatusCode).toBeUndefined();
    expect(response.ResponseTemplates['application/json']).toContain('"message":$context.error.messageString');
  }
});

it('every template, filled in as API Gateway does, is the JSON body the local runtime answers', () => {
  for (const answer of Object.values(GATEWAY_ANSWERS) as GatewayAnswer[]) {
    const filled = gatewayResponseTemplate(answer).replace('$context.requestId', 'req-7').replace('$context.error.messageString', JSON.stringify('Missing Authentication Token'));
    expect(JSON.parse(filled)).toEqual(JSON.parse(gatewayResponseBody(answer, 'req-7', 'Missing Authentication Token')));
  }
});
