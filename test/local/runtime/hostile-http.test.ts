/**
 * Hostile HTTP over a real socket to the local runtime: request targets Node or the gateway
 * cannot use, malformed percent-escapes in a path parameter, oversized headers, headers or a
 * body that never finish arriving, bodies in another charset or not UTF-8 at all. Every answer
 * must be a 4xx JSON `{ error: { code, message } }`, never a 5xx, a hang or a provider call.
 * `net.connect` sends the raw bytes; the server's limits are set small so the timeouts fire
 * quickly, and the tests wait for socket events, never for a fixed time.
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';

const TOKEN = 'local-dev-token';
const LIMITS = { maxHeaderBytes: 4_096, headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000 };

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {}, http: LIMITS });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: { error?: { code?: string; message?: string } } | undefined;
}

/** Parses one HTTP/1.1 response from what the server sent before it closed the connection. */
function parseAnswer(bytes: Buffer): RawAnswer {
  const text = bytes.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no complete HTTP response before the connection closed: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(text.slice(split + 4)) : text.slice(split + 4);
  let json: RawAnswer['json'];
  try {
    json = JSON.parse(body) as RawAnswer['json'];
  } catch {
    json = undefined;
  }
  return { status, headers, body, json };
}

function dechunk(chunked: string): string {
  let out = '';
  for (let at = 0; ; ) {
    const eol = chunked.indexOf('\r\n', at);
    const size = parseInt(chunked.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += chunked.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/**
 * Opens a connection, lets `send` write to it, and resolves with the answer once the server
 * closes the connection (every request here says `Connection: close`, and every refusal closes).
 */
function exchange(send: (socket: Socket) => void): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(runtime.port, '127.0.0.1', () => send(socket));
    socket.on('data', (chunk) => chunks.push(chunk));
    // Closing on a client that is still sending resets the connection; the answer came before it.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

const raw = (bytes: string | Buffer) => exchange((socket) => socket.write(bytes));

function head(method: string, target: string, headers: Record<string, string | number> = {}): string {
  const all: Record<string, string | number> = { Host: '127.0.0.1', Connection: 'close', ...headers };
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

function post(path: string, body: Buffer, contentType = 'application/json'): Promise<RawAnswer> {
  return raw(Buffer.concat([Buffer.from(head('POST', path, { Authorization: `Bearer ${TOKEN}`, 'Content-Type': contentType, 'Content-Length': body.length })), body]));
}

/** Writes one byte every 20 ms: 100,000 bytes at this pace would take over half an hour. */
function trickler() {
  let timer: NodeJS.Timeout | undefined;
  return {
    start(socket: Socket) {
      timer = setInterval(() => {
        if (socket.writable) socket.write(' ');
      }, 20);
      socket.once('close', () => clearInterval(timer));
    },
    stop: () => clearInterval(timer),
  };
}

function expectJsonError(answer: RawAnswer, status: number, code: string, message?: RegExp): void {
  expect({ status: answer.status, contentType: answer.headers['content-type'], code: answer.json?.error?.code }).toEqual({ status, contentType: 'application/json', code });
  expect(answer.json?.error?.message).toEqual(expect.any(String));
  if (message) expect(answer.json?.error?.message).toMatch(message);
}

const providerCalls = () => runtime.simulator.stats().totals.requests;
const invocations = (fn: string) => runtime.stats().functions[fn]!.invocations;

const DIAGNOSES = { chiefComplaint: 'pain on biting XX lower left', symptoms: [], toothFindings: [], medicalHistory: { allergies: [] }, ageYears: 42 };

describe('request targets', () => {
  it.each([
    ['a malformed percent-escape in a path parameter', '/v1/imaging/analyses/%ZZ'],
    ['a truncated escape at the end of the path', '/v1/imaging/analyses/abcdefgh%4'],
    ['a path of percent signs', '//%%'],
    ['an absolute-form target', 'http://example.com/health'],
    ['the asterisk form', '*'],
  ])('answers %s with a JSON 400 from the gateway', async (_label, target) => {
    const before = invocations('imaging') + invocations('ops');
    const answer = await raw(head('GET', target, { Authorization: `Bearer ${TOKEN}` }));
    expectJsonError(answer, 400, 'BadRequest');
    expect(answer.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(invocations('imaging') + invocations('ops')).toBe(before);
  });

  it('answers escapes that are well-formed but not UTF-8 with a JSON 400 from the function itself', async () => {
    // %C3%28 passes the gateway (two hex digits each) and reaches the imaging function, whose
    // pipeline decodes path parameters; decodeURIComponent throws on it, which must be a 400.
    const before = invocations('imaging');
    const answer = await raw(head('GET', '/v1/imaging/analyses/abcdefgh%C3%28', { Authorization: `Bearer ${TOKEN}` }));
    expectJsonError(answer, 400, 'BadRequest', /path parameter jobId is not valid percent-encoded UTF-8/);
    expect(answer.headers['x-amzn-errortype']).toBeUndefined();
    expect(invocations('imaging')).toBe(before + 1);
  });

  it('still decodes a valid escape before the function looks the job up', async () => {
    // %2D is '-': a well-formed id that names no job, so the function's 404 (not a 400).
    const answer = await raw(head('GET', '/v1/imaging/analyses/abcdefgh%2Dijkl', { Authorization: `Bearer ${TOKEN}` }));
    expectJsonError(answer, 404, 'NotFound');
  });

  it('answers random bytes in a path parameter with a 4xx JSON error, never a 5xx or a hang', async () => {
    // Spaces and line breaks are left out: they end the request line, which the parser cases below cover.
    const unit = fc.constantFrom('%', '%', '2', 'F', 'C', '3', 'Z', 'a', '-', '_', '.', '~', '/', '?', '#', '"', '<', '{', '|', '\\', '^', '`', 'é', '😀', '\u0001', '\u007f');
    const segment = fc.array(unit, { minLength: 1, maxLength: 24 }).map((units) => units.join(''));
    await fc.assert(
      fc.asyncProperty(segment, async (value) => {
        const answer = await raw(Buffer.concat([Buffer.from(`GET /v1/imaging/analyses/${value}`, 'utf8'), Buffer.from(` HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`)]));
        expect({ value, status: answer.status >= 400 && answer.status < 500, json: answer.headers['content-type'], code: typeof answer.json?.error?.code }).toEqual({ value, status: true, json: 'application/json', code: 'string' });
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it.each([
    ['a target without a leading slash', 'GET foo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['a control character in the target', 'GET /v1/\x01usage HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['an invalid method', 'G@T /health HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a request line that is not HTTP', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
    ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'],
  ])('answers %s, refused by Node’s parser, with a JSON 400 instead of a bare one', async (_label, bytes) => {
    const answer = await raw(Buffer.from(bytes, 'latin1'));
    expectJsonError(answer, 400, 'BadRequest', /not valid HTTP/);
    expect(answer.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('headers', () => {
  it('answers headers over the limit with a JSON 431', async () => {
    const answer = await raw(head('GET', '/health', { 'X-Padding': 'a'.repeat(LIMITS.maxHeaderBytes + 1) }));
    expectJsonError(answer, 431, 'RequestHeaderFieldsTooLarge');
    // Just under the limit is fine: the limit is the one configured, not Node's default.
    const under = await raw(head('GET', '/health', { 'X-Padding': 'a'.repeat(LIMITS.maxHeaderBytes - 200) }));
    expect(under.status).toBe(200);
  });

  it('cuts off headers that never finish with a JSON 408', async () => {
    const answer = await exchange((socket) => socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
    expectJsonError(answer, 408, 'RequestTimeout', /headers did not arrive in time/);
  });
});

describe('bodies', () => {
  it('cuts off a body shorter than its Content-Length with a JSON 408 and invokes nothing', async () => {
    const before = { calls: providerCalls(), invocations: invocations('clinical') };
    const body = Buffer.from(JSON.stringify(DIAGNOSES));
    const answer = await exchange((socket) => {
      socket.write(head('POST', '/v1/clinical/diagnoses', { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Content-Length': body.length + 100 }));
      socket.write(body);
    });
    expectJsonError(answer, 408, 'RequestTimeout', new RegExp(`did not arrive within ${LIMITS.bodyTimeoutMs} ms`));
    expect({ calls: providerCalls(), invocations: invocations('clinical') }).toEqual(before);
  });

  it('cuts off a body that trickles in with a JSON 408', async () => {
    const before = invocations('clinical');
    const trickle = trickler();
    const answer = await exchange((socket) => {
      socket.write(head('POST', '/v1/clinical/diagnoses', { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Content-Length': 100_000 }));
      trickle.start(socket);
    });
    trickle.stop();
    expectJsonError(answer, 408, 'RequestTimeout');
    expect(invocations('clinical')).toBe(before);
  });

  it('closes the connection when a body trickles on after the gateway has answered', async () => {
    // A 401 goes out before the body is read; the body's deadline still ends the connection,
    // which the trickle would otherwise keep open forever (each byte resets Node's idle timer).
    const trickle = trickler();
    const answer = await exchange((socket) => {
      socket.write(head('POST', '/v1/clinical/diagnoses', { 'Content-Type': 'application/json', 'Content-Length': 100_000, Connection: 'keep-alive' }));
      trickle.start(socket);
    });
    trickle.stop();
    expectJsonError(answer, 401, 'Unauthorized');
  });

  it('answers a body in a declared non-UTF-8 charset with a JSON 415 before any model call', async () => {
    const before = providerCalls();
    for (const contentType of ['application/json; charset=latin1', 'application/json; charset="ISO-8859-1"', 'application/json;charset=utf-16']) {
      const answer = await post('/v1/clinical/diagnoses', Buffer.from(JSON.stringify(DIAGNOSES)), contentType);
      expectJsonError(answer, 415, 'UnsupportedMediaType', /must be UTF-8/);
    }
    expect(providerCalls()).toBe(before);
  });

  it('accepts a body that declares UTF-8 in any spelling', async () => {
    const estimate = {
      procedures: [{ cdtCode: 'D2740', toothNumber: '3', feeCents: 120_000 }],
      coverage: { preventivePct: 100, basicPct: 80, majorPct: 50, orthoPct: 0, deductibleRemainingCents: 5_000, annualMaxRemainingCents: 150_000 },
    };
    for (const contentType of ['application/json; charset=utf-8', 'application/json; charset="UTF-8"', 'application/json;charset=utf8']) {
      const answer = await post('/v1/billing/estimates', Buffer.from(JSON.stringify(estimate)), contentType);
      expect({ contentType, status: answer.status }).toEqual({ contentType, status: 200 });
    }
  });

  it('answers a JSON body with invalid UTF-8 bytes with a JSON 400 instead of passing U+FFFD to a model', async () => {
    const before = providerCalls();
    const text = JSON.stringify(DIAGNOSES);
    for (const bad of [[0xff, 0xfe], [0xc3, 0x28], [0xe2, 0x82]]) {
      const bytes = Buffer.from(text, 'utf8');
      Buffer.from(bad).copy(bytes, text.indexOf('XX'));
      const answer = await post('/v1/clinical/diagnoses', bytes);
      expectJsonError(answer, 400, 'BadRequest', /not valid UTF-8/);
    }
    expect(providerCalls()).toBe(before);
  });

  it('answers broken chunked framing with a JSON 400', async () => {
    const answer = await raw(`${head('POST', '/v1/billing/estimates', { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' })}zz\r\n{}\r\n0\r\n\r\n`);
    expectJsonError(answer, 400, 'BadRequest');
  });
});

it('keeps serving after all of the above', async () => {
  const answer = await raw(head('GET', '/health'));
  expect(answer.status).toBe(200);
});
