/**
 * The local queue with a journal (`npm start --data-dir`): what a process was told is stored is
 * still there for the next process on the same file, in flight or not, as SQS keeps it.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalQueue } from '../../local/sqs';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sqs-journal-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('keeps sent, in-flight and deleted messages across a new process, and redelivers in-flight ones after their visibility timeout', () => {
  let clock = 1_000_000;
  const file = join(dir, 'q.jsonl');
  const open = () => new LocalQueue({ name: 'q', visibilityTimeoutMs: 6_000, now: () => clock, journalFile: file });
  const first = open();
  first.send('waiting');
  first.send('in-flight');
  first.send('done');
  const [a, b, c] = first.receive(3);
  expect([a?.body, b?.body, c?.body]).toEqual(['waiting', 'in-flight', 'done']);
  first.changeVisibility(a!.receiptHandle!, 0);
  first.delete(c!.receiptHandle!);
  // The process dies here, mid-append of a change nobody was told about.
  appendFileSync(file, '{"put":{"messageId":"torn');

  const second = open();
  expect(second.depth()).toMatchObject({ visible: 1, inFlight: 1 });
  expect(second.receive(10).map((m) => [m.body, m.receiveCount])).toEqual([['waiting', 2]]);
  clock += 6_000;
  // Both are hidden now; after the timeout both come back, each counting this delivery.
  expect(second.receive(10).map((m) => [m.body, m.receiveCount])).toEqual([['waiting', 3], ['in-flight', 2]]);
  expect(second.peek().map((m) => m.body).sort()).toEqual(['in-flight', 'waiting']);
});
