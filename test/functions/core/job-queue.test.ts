import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsJobQueue } from '../../../functions/core/job-queue';
import { DependencyUnavailableError } from '../../../functions/core/errors';
import { LocalQueue, startSqsEndpoint, type SqsEndpoint } from '../../../local/sqs';

describe('SqsJobQueue against the local SQS endpoint', () => {
  let sqs: SqsEndpoint;
  const queue = new LocalQueue({ name: 'smartdental-imaging', visibilityTimeoutMs: 1000 });
  let client: SQSClient;

  beforeAll(async () => {
    sqs = await startSqsEndpoint({ queues: [queue], port: 0 });
    client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });
  beforeEach(() => queue.purge());

  it('sends the job reference as the message body', async () => {
    await new SqsJobQueue({ queueUrl: sqs.queueUrl('smartdental-imaging'), client }).send({ jobId: 'job-1', practiceId: 'practice-demo' });
    const [message] = queue.receive(1);
    expect(JSON.parse(message!.body)).toEqual({ jobId: 'job-1', practiceId: 'practice-demo' });
  });

  it("sends the practice as MessageGroupId: the fair queue's tenant", async () => {
    await new SqsJobQueue({ queueUrl: sqs.queueUrl('smartdental-imaging'), client }).send({ jobId: 'job-4', practiceId: 'practice-042' });
    expect(queue.peek()[0]!.messageGroupId).toBe('practice-042');
  });

  it('passes DelaySeconds through', async () => {
    await new SqsJobQueue({ queueUrl: sqs.queueUrl('smartdental-imaging'), client }).send({ jobId: 'job-2', practiceId: 'p' }, 30);
    expect(queue.depth()).toMatchObject({ delayed: 1, visible: 0 });
  });

  it('turns a queue failure into DependencyUnavailableError', async () => {
    const broken = new SqsJobQueue({ queueUrl: sqs.queueUrl('does-not-exist'), client });
    await expect(broken.send({ jobId: 'job-3', practiceId: 'p' })).rejects.toBeInstanceOf(DependencyUnavailableError);
  });

  it('refuses a delay SQS would reject', async () => {
    await expect(new SqsJobQueue({ queueUrl: sqs.queueUrl('smartdental-imaging'), client }).send({ jobId: 'j', practiceId: 'p' }, 1000)).rejects.toThrow('delaySeconds');
  });
});
