/**
 * The HTTP pipeline (the code path Lambda runs) against input API Gateway may hand it unchanged:
 * path parameters with malformed or non-UTF-8 percent-escapes, a body in a declared non-UTF-8
 * charset, and a text body that lost bytes to a lenient UTF-8 decode. Each is a 4xx JSON error
 * before the route runs, never a 500.
 */
import { z } from 'zod';
import { RequestHeaderFieldsTooLargeError, RequestTimeoutError, toHttpError } from '../../../functions/core/errors';
import { createHttpHandler, route } from '../../../functions/core/http';
import { createObservability } from '../../../functions/core/observability';
import { apiEvent, lambdaContext } from '../../support/api-event';

const seen: unknown[] = [];
const handler = createHttpHandler({
  observability: createObservability('test'),
  routes: [
    route({
      method: 'GET',
      path: '/v1/test/things/{thingId}',
      handle: async ({ pathParameters }) => {
        seen.push(pathParameters);
        return { body: { thingId: pathParameters.thingId } };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/test/notes',
      body: z.object({ note: z.string().min(1) }).strict(),
      handle: async ({ body }) => {
        seen.push(body);
        return { body: { note: body.note } };
      },
    }),
  ],
});

async function call(options: Parameters<typeof apiEvent>[0]) {
  const response = (await handler(apiEvent(options), lambdaContext())) as { statusCode: number; headers: Record<string, string>; body: string };
  return { ...response, json: JSON.parse(response.body) };
}

const getThing = (thingId: string) => call({ method: 'GET', resource: '/v1/test/things/{thingId}', path: `/v1/test/things/${thingId}`, pathParameters: { thingId } });
const postNote = (rawBody: string, contentType: string) => call({ resource: '/v1/test/notes', rawBody, headers: { 'Content-Type': contentType } });

beforeEach(() => (seen.length = 0));

describe('path parameters', () => {
  it.each([
    ['a malformed escape', '%ZZ'],
    ['a truncated escape', 'abc%4'],
    ['a lone percent sign', '%'],
    ['escapes that are not UTF-8', '%C3%28'],
    ['a truncated UTF-8 sequence', '%E2%82'],
    ['an escaped lone surrogate', '%ED%A0%80'],
  ])('answers %s with a 400 naming the parameter, before the route runs', async (_label, thingId) => {
    const res = await getThing(thingId);
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toEqual({ code: 'BadRequest', message: 'The path parameter thingId is not valid percent-encoded UTF-8' });
    expect(seen).toHaveLength(0);
  });

  it('hands the route decoded values, whether API Gateway decoded them already or not', async () => {
    expect((await getThing('a%2Fb%20c')).json).toEqual({ thingId: 'a/b c' });
    expect((await getThing('already-plain')).json).toEqual({ thingId: 'already-plain' });
    expect((await getThing('%C3%A9t%C3%A9')).json).toEqual({ thingId: 'été' });
  });
});

describe('charsets and UTF-8', () => {
  const note = JSON.stringify({ note: 'cold sensitivity on #19' });

  it.each(['application/json; charset=latin1', 'application/json; charset=ISO-8859-1', 'application/json;charset="utf-16"', 'application/json; CHARSET=windows-1252'])(
    'answers %s with a 415 that says JSON must be UTF-8',
    async (contentType) => {
      const res = await postNote(note, contentType);
      expect(res.statusCode).toBe(415);
      expect(res.json.error.code).toBe('UnsupportedMediaType');
      expect(res.json.error.message).toMatch(/must be UTF-8/);
      expect(seen).toHaveLength(0);
    },
  );

  it.each(['application/json', 'application/json; charset=utf-8', 'application/json; charset="UTF-8"', 'application/json;charset=utf8', 'application/json; boundary=x; charset=UTF-8'])(
    'accepts %s',
    async (contentType) => {
      const res = await postNote(note, contentType);
      expect(res.statusCode).toBe(200);
      expect(res.json).toEqual({ note: 'cold sensitivity on #19' });
    },
  );

  it('answers a text body holding U+FFFD, the trace of invalid bytes, with a 400', async () => {
    // What a lenient decoder (API Gateway's text payload, the local gateway) makes of 0xFF 0xFE.
    const mangled = Buffer.from('{"note":"pain \xff\xfe on biting"}', 'latin1').toString('utf8');
    expect(mangled).toContain('\uFFFD');
    const res = await postNote(mangled, 'application/json');
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toMatch(/not valid UTF-8/);
    expect(seen).toHaveLength(0);
  });

  it('still accepts other unusual but valid text, such as an escaped lone surrogate', async () => {
    const res = await postNote('{"note":"odd \\ud800 text"}', 'application/json');
    expect(res.statusCode).toBe(200);
  });
});

it('maps the local server’s own refusals to 408 and 431 in the one error table', () => {
  expect(toHttpError(new RequestTimeoutError('slow'))).toMatchObject({ statusCode: 408, body: { error: { code: 'RequestTimeout', message: 'slow' } } });
  expect(toHttpError(new RequestHeaderFieldsTooLargeError('big'))).toMatchObject({ statusCode: 431, body: { error: { code: 'RequestHeaderFieldsTooLarge', message: 'big' } } });
});

it('takes only the path parameters the route declares, so a stray one cannot turn a valid request into a 400', async () => {
  const res = await call({ method: 'GET', resource: '/v1/test/things/{thingId}', pathParameters: { thingId: 'a%20b', '': '%s%s%n', other: '%ZZ' } });
  expect(res.statusCode).toBe(200);
  expect(seen).toEqual([{ thingId: 'a b' }]);
});
