import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startSecretsManager, type SecretsManagerStandIn } from '../../local/secrets-manager';

let standIn: SecretsManagerStandIn;
let client: SecretsManagerClient;

beforeAll(async () => {
  standIn = await startSecretsManager({ secrets: { 'smartdental/test/chat': '{"openai":"sk-one"}' } });
  client = new SecretsManagerClient({ endpoint: standIn.endpoint, region: 'us-east-1', maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});

describe('Secrets Manager stand-in, through the official client', () => {
  it('answers GetSecretValue by name and by ARN, and counts the calls', async () => {
    const before = standIn.calls();
    const byName = await client.send(new GetSecretValueCommand({ SecretId: 'smartdental/test/chat' }));
    expect(byName.SecretString).toBe('{"openai":"sk-one"}');
    expect(byName.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:smartdental\/test\/chat-.{6}$/);
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: byName.ARN }));
    expect(byArn.SecretString).toBe(byName.SecretString);
    expect(standIn.calls()).toBe(before + 2);
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('creates, describes and rotates a secret', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'smartdental/test/billing', SecretString: '{"anthropic":"a"}' }));
    await expect(client.send(new CreateSecretCommand({ Name: 'smartdental/test/billing', SecretString: 'x' }))).rejects.toMatchObject({ name: 'ResourceExistsException' });
    const put = await client.send(new PutSecretValueCommand({ SecretId: 'smartdental/test/billing', SecretString: '{"anthropic":"b"}' }));
    expect(put.VersionId).not.toBe(created.VersionId);
    const described = await client.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    expect(described.Name).toBe('smartdental/test/billing');
    const value = await client.send(new GetSecretValueCommand({ SecretId: 'smartdental/test/billing' }));
    expect(value.SecretString).toBe('{"anthropic":"b"}');
  });

  it('simulates an outage with failNext and setAvailable', async () => {
    standIn.failNext(1);
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'smartdental/test/chat' }))).rejects.toMatchObject({ name: 'InternalServiceError', $metadata: { httpStatusCode: 500 } });
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'smartdental/test/chat' }))).resolves.toBeDefined();
    standIn.setAvailable(false);
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'smartdental/test/chat' }))).rejects.toMatchObject({ name: 'InternalServiceError' });
    standIn.setAvailable(true);
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'smartdental/test/chat' }))).resolves.toBeDefined();
  });
});
