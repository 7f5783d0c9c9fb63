/**
 * Template assertions for the gateway stack with the catalog's development defaults.
 * One synth for the whole file; each test reads the same template.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { TASK_CATALOG, functionConfigFor, resolveCatalog } from '../../lib/catalog';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../lib/constructs/imaging-pipeline';
import type { ManagedPolicyRole } from '../../lib/constructs/managed-policy-role';
import type { TaskFunction } from '../../lib/constructs/task-function';
import { DEFAULT_ALLOWED_ORIGIN } from '../../lib/stack';
import { ENV } from '../../functions/core/env';
import { METRIC, METRICS_NAMESPACE, serviceNameOf } from '../../functions/core/metric-names';
import { parseTaskConfig, TASK_NAMES } from '../../functions/core/task-config';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

let gw: SynthesizedGateway;
beforeAll(() => {
  gw = synthGateway();
});

const catalog = resolveCatalog();
const imagingWorker = catalog.byName.imaging.worker!;

function ofType(type: string): Array<[string, { Properties?: Record<string, any> }]> {
  return Object.entries(gw.resources).filter(([, r]) => r.Type === type);
}

function allFunctions(): Array<{ label: string; fn: TaskFunction }> {
  const out = Object.entries(gw.stack.tasks).flatMap(([name, t]) => [
    { label: `${name} api`, fn: t.api },
    ...(t.worker ? [{ label: `${name} worker`, fn: t.worker }] : []),
  ]);
  return [...out, { label: 'ops', fn: gw.stack.ops }];
}

/** Every statement of every policy attached to the function's role. */
function statementsOf(fn: TaskFunction): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  const roleId = logicalIdOf(gw.stack, fn.role as ManagedPolicyRole);
  return Object.values(gw.resources)
    .filter((r) => (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties!.PolicyDocument.Statement);
}

const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('one function per task', () => {
  it.each(TASK_NAMES)('%s has its own API function with AI_TASK, TASK_CONFIG, limits and the shared defaults', (name) => {
    const task = catalog.byName[name];
    const fn = gw.stack.tasks[name]!.api;
    const props = gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!;
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: task.timeoutSeconds,
      MemorySize: task.memoryMb,
      ReservedConcurrentExecutions: task.reservedConcurrency,
      TracingConfig: { Mode: 'Active' },
    });
    const env = props.Environment.Variables as Record<string, string>;
    expect(env[ENV.task]).toBe(name);
    expect(env[ENV.functionRole]).toBe('api');
    expect(env.POWERTOOLS_SERVICE_NAME).toBe(`smartdental-${name}`);
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(env[ENV.allowedOrigin]).toBe(DEFAULT_ALLOWED_ORIGIN);
    expect(parseTaskConfig(env[ENV.taskConfig])).toEqual(functionConfigFor(task));
  });

  it('the imaging worker has the worker limits and role', () => {
    const props = gw.resources[logicalIdOf(gw.stack, gw.stack.tasks.imaging!.worker!)]!.Properties!;
    expect(props).toMatchObject({
      Timeout: imagingWorker.timeoutSeconds,
      MemorySize: imagingWorker.memoryMb,
      ReservedConcurrentExecutions: imagingWorker.reservedConcurrency,
      Environment: { Variables: { [ENV.task]: 'imaging', [ENV.functionRole]: 'worker' } },
    });
  });

  it('builds exactly the task functions, the imaging worker and ops: nothing copied, nothing extra', () => {
    expect(ofType('AWS::Lambda::Function')).toHaveLength(Object.keys(TASK_CATALOG).length + 2);
  });

  it('keeps every function environment under the 4 KB Lambda limit', () => {
    for (const [, r] of ofType('AWS::Lambda::Function')) {
      const vars = r.Properties!.Environment.Variables as Record<string, unknown>;
      // Tokens (table names, ARNs) resolve to at most a few hundred characters each.
      const size = Object.entries(vars).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? v.length : 200), 0);
      expect(size).toBeLessThan(4096);
    }
  });

  it('gives every function its own encrypted log group with a retention', () => {
    for (const { fn } of allFunctions()) {
      const props = gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!;
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      expect(gw.resources[logGroupId]!.Properties).toMatchObject({ RetentionInDays: expect.any(Number), KmsKeyId: expect.anything() });
    }
  });
});

describe('secrets: each role reads exactly its own', () => {
  const secretRef = (name: string) => ({ Ref: logicalIdOf(gw.stack, gw.stack.tasks[name]!.secret.secret) });

  it('creates one secret per task, named from the catalog, each with its own customer-managed key', () => {
    const secrets = ofType('AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(TASK_NAMES.length);
    const keys = new Set(secrets.map(([, r]) => JSON.stringify(r.Properties!.KmsKeyId)));
    expect(keys.size).toBe(TASK_NAMES.length);
    for (const name of TASK_NAMES) {
      expect(gw.resources[secretRef(name).Ref]!.Properties).toMatchObject({ Name: catalog.byName[name].secretName, KmsKeyId: expect.anything() });
    }
  });

  it.each(TASK_NAMES)('%s: the function holding the key may read that secret and no other', (name) => {
    const holder = gw.stack.tasks[name]!.worker ?? gw.stack.tasks[name]!.api;
    const secretStatements = statementsOf(holder).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]!.Resource).toEqual(secretRef(name));
    expect(actionsOf(secretStatements[0]!).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });

  it('no other function may read any secret, and no policy uses a secretsmanager wildcard', () => {
    const holders = new Set(TASK_NAMES.map((n) => gw.stack.tasks[n]!.worker ?? gw.stack.tasks[n]!.api));
    for (const { label, fn } of allFunctions()) {
      const statements = statementsOf(fn);
      for (const s of statements) {
        for (const action of actionsOf(s)) expect(`${label}: ${action}`).not.toMatch(/secretsmanager:\*|^[^:]+: \*$/);
      }
      if (!holders.has(fn)) expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))).toEqual([]);
    }
  });

  it.each(TASK_NAMES)("%s: only the task's key holder may decrypt its secret key, and only through Secrets Manager", (name) => {
    const { secret, worker, api } = gw.stack.tasks[name]!;
    const holderRole = logicalIdOf(gw.stack, (worker ?? api).role as ManagedPolicyRole);
    const keyPolicy = gw.resources[logicalIdOf(gw.stack, secret.key)]!.Properties!.KeyPolicy.Statement as Array<Record<string, any>>;
    const decrypters = keyPolicy.filter((s) => actionsOf(s as never).includes('kms:Decrypt') && JSON.stringify(s.Principal).includes('GetAtt'));
    expect(decrypters).toHaveLength(1);
    expect(JSON.stringify(decrypters[0]!.Principal)).toContain(holderRole);
    expect(decrypters[0]!.Condition).toMatchObject({ StringEquals: { 'kms:ViaService': expect.anything() } });
  });

  it('the imaging API function holds no AI key but can store images, enqueue jobs and keep job and idempotency records', () => {
    const { api } = gw.stack.tasks.imaging!;
    const statements = statementsOf(api);
    const actions = statements.flatMap(actionsOf);
    expect(actions.some((a) => a.startsWith('secretsmanager:'))).toBe(false);
    expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage', 's3:PutObject', 's3:GetObject', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    const env = gw.resources[logicalIdOf(gw.stack, api)]!.Properties!.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining([ENV.jobsTable, ENV.cacheTable, ENV.imagingQueueUrl, ENV.imagesBucket]));
    expect(env[ENV.secretId]).toBeUndefined();
    // It never calls a model, so it never writes the usage ledger.
    expect(env[ENV.usageTable]).toBeUndefined();
  });

  it('the ops function only reads the usage table', () => {
    const actions = statementsOf(gw.stack.ops).flatMap(actionsOf);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).not.toContain('dynamodb:PutItem');
    expect(actions.some((a) => /^(secretsmanager|sqs|s3):/.test(a))).toBe(false);
  });

  it('the ops function receives the resolved catalog it reports against', () => {
    const fn = gw.template.toJSON().Resources[logicalIdOf(gw.stack, gw.stack.ops)];
    const catalog = JSON.parse(fn.Properties.Environment.Variables[ENV.catalog]);
    expect(catalog.map((t: { name: string }) => t.name)).toEqual([...TASK_NAMES]);
    // Never a secret name or a provider chain: ops reads neither, and they would push it past 4 KB.
    for (const task of catalog) expect(Object.keys(task)).toEqual(expect.not.arrayContaining(['secretName', 'providers']));
    expect(catalog.every((t: { practiceShare?: unknown }) => t.practiceShare !== undefined)).toBe(true);
  });
});

describe('imaging queue pipeline', () => {
  it('the queue is encrypted, its visibility timeout is 6x the worker timeout, and it redrives to the DLQ', () => {
    gw.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: imagingWorker.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(gw.stack, gw.stack.imaging.deadLetterQueue), 'Arn'] },
        maxReceiveCount: imagingWorker.maxReceiveCount,
      },
    });
    expect(imagingWorker.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR).toBeGreaterThanOrEqual(6 * imagingWorker.timeoutSeconds);
  });

  it('the worker consumes it with partial batch failures and maxConcurrency from the catalog', () => {
    gw.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    gw.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(gw.stack, gw.stack.imaging.queue), 'Arn'] },
      FunctionName: { Ref: logicalIdOf(gw.stack, gw.stack.tasks.imaging!.worker!) },
      BatchSize: imagingWorker.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: imagingWorker.maxConcurrency },
    });
    expect(imagingWorker.maxConcurrency).toBeLessThanOrEqual(imagingWorker.reservedConcurrency!);
  });

  it('the job queue is a standard queue (fair queues are a feature of standard queues) and the worker takes one job per invocation', () => {
    const queue = gw.resources[logicalIdOf(gw.stack, gw.stack.imaging.queue)]!.Properties!;
    expect(queue.FifoQueue).toBeUndefined();
    // A practice's single job waits for one running job to end, not for a batch of another practice's.
    expect(imagingWorker.batchSize).toBe(1);
  });

  it('the images bucket expires objects and lets the front end POST presigned uploads', () => {
    const props = gw.resources[logicalIdOf(gw.stack, gw.stack.imaging.imagesBucket)]!.Properties!;
    expect(props.LifecycleConfiguration.Rules[0]).toMatchObject({ Status: 'Enabled', ExpirationInDays: 30 });
    expect(props.CorsConfiguration.CorsRules[0]).toMatchObject({ AllowedMethods: ['POST'], AllowedOrigins: [DEFAULT_ALLOWED_ORIGIN] });
    expect(props.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalIdOf(gw.stack, gw.stack.imaging.accessLogsBucket) });
  });
});

describe('alarms', () => {
  const topicRef = () => ({ Ref: logicalIdOf(gw.stack, gw.stack.alarms.topic) });

  it('every function has a Throttles alarm (>= 1 in a minute) and an Errors alarm, both publishing to the topic', () => {
    for (const { label, fn } of allFunctions()) {
      for (const metricName of ['Throttles', 'Errors']) {
        const matches = gw.template.findResources('AWS::CloudWatch::Alarm', {
          Properties: {
            Namespace: 'AWS/Lambda',
            MetricName: metricName,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(gw.stack, fn) } }],
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            AlarmActions: [topicRef()],
            ...(metricName === 'Throttles' ? { Period: 60, EvaluationPeriods: 1 } : {}),
          },
        });
        expect([label, metricName, Object.keys(matches).length]).toEqual([label, metricName, 1]);
      }
    }
  });

  it.each(TASK_NAMES)('%s has provider-throttle, provider-failure, budget (>= 80 %%) and OverBudget-refusal alarms on the custom metrics', (name) => {
    for (const [metricName, threshold] of [[METRIC.providerThrottles, 1], [METRIC.providerFailures, 1], [METRIC.budgetUsedPercent, 80], [METRIC.overBudgetRejections, 1]] as const) {
      gw.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: serviceNameOf(name) }, { Name: 'task', Value: name }],
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [topicRef()],
      });
    }
  });

  it('watches the API for 5xx answers (providers or a dependency unavailable)', () => {
    gw.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Sum',
      AlarmActions: [topicRef()],
    });
  });

  it("watches the share of API Gateway's own 4xx answers (throttles, a task at capacity, 401, 400): >= 10 % for 10 minutes", () => {
    gw.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '4XXError',
      Statistic: 'Average',
      Threshold: 0.1,
      EvaluationPeriods: 2,
      Period: 300,
      AlarmActions: [topicRef()],
    });
  });

  it('watches the imaging queue age and any dead letter', () => {
    gw.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(gw.stack, gw.stack.imaging.queue), 'QueueName'] } }],
      AlarmActions: [topicRef()],
    });
    gw.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(gw.stack, gw.stack.imaging.deadLetterQueue), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef()],
    });
  });

  it('every alarm has an action, and CloudWatch may use the topic key', () => {
    for (const [id, r] of ofType('AWS::CloudWatch::Alarm')) expect([id, r.Properties!.AlarmActions]).toEqual([id, [topicRef()]]);
    const keyPolicy = gw.resources[logicalIdOf(gw.stack, gw.stack.alarms.topicKey)]!.Properties!.KeyPolicy.Statement;
    expect(keyPolicy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']) }),
      ]),
    );
  });

  it('the dashboard has one row per task with invocations, throttles, p95 duration and tokens', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, { Properties: Record<string, any> }]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const name of TASK_NAMES) {
      for (const title of ['invocations', 'throttles', 'duration p95', 'tokens per minute']) expect(body).toContain(`${name}: ${title}`);
    }
    expect(body).toContain('p95');
    expect(body).toContain(METRIC.inputTokens);
  });
});

describe('API', () => {
  const methods = () => gw.stack.gateway.api.methods.filter((m) => m.httpMethod !== 'OPTIONS');
  const props = (m: { node: { defaultChild?: unknown } }) => gw.resources[logicalIdOf(gw.stack, m)]!.Properties!;

  it('has exactly the catalog routes plus the ops routes', () => {
    const routes = methods().map((m) => `${m.httpMethod} ${m.resource.path}`).sort();
    const expected = [...catalog.tasks.flatMap((t) => t.routes.map((r) => `${r.method} ${r.path}`)), 'GET /health', 'GET /openapi.json', 'GET /v1/usage'].sort();
    expect(routes).toEqual(expected);
  });

  it('puts the Cognito authorizer on every route except /health and /openapi.json', () => {
    const authorizerRef = { Ref: logicalIdOf(gw.stack, gw.stack.gateway.authorizer as never) };
    for (const m of methods()) {
      const publicRoute = ['/health', '/openapi.json'].includes(m.resource.path);
      expect([m.resource.path, props(m).AuthorizationType]).toEqual([m.resource.path, publicRoute ? 'NONE' : 'COGNITO_USER_POOLS']);
      if (!publicRoute) expect(props(m).AuthorizerId).toEqual(authorizerRef);
    }
  });

  it('validates requests on every route, and POST bodies against a JSON object model', () => {
    for (const m of methods()) {
      expect(props(m).RequestValidatorId).toBeDefined();
      if (m.httpMethod === 'POST') expect(props(m).RequestModels).toEqual({ 'application/json': expect.anything() });
    }
    gw.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  it('streams the chat route and buffers the others, each to its own task function', () => {
    for (const m of methods()) {
      const integration = props(m).Integration;
      const streaming = m.resource.path === '/v1/chat/messages';
      expect([m.resource.path, integration.ResponseTransferMode]).toEqual([m.resource.path, streaming ? 'STREAM' : 'BUFFERED']);
      if (streaming) expect(JSON.stringify(integration.Uri)).toContain('response-streaming-invocations');
      const task = catalog.tasks.find((t) => t.routes.some((r) => r.path === m.resource.path));
      const target = task ? gw.stack.tasks[task.name]!.api : gw.stack.ops;
      expect(JSON.stringify(integration.Uri)).toContain(logicalIdOf(gw.stack, target));
    }
  });

  it('logs access as JSON to an encrypted group, throttles the stage, traces, and never logs bodies', () => {
    gw.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'ERROR', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
    });
    expect(gw.resources[logicalIdOf(gw.stack, gw.stack.gateway.accessLogs)]!.Properties!.KmsKeyId).toBeDefined();
  });

  it('allows CORS for the default front-end origin only, on preflights and on gateway errors', () => {
    const origin = `'${DEFAULT_ALLOWED_ORIGIN}'`;
    const preflights = gw.stack.gateway.api.methods.filter((m) => m.httpMethod === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    for (const m of preflights) {
      expect(props(m).Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(origin);
    }
    gw.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'DEFAULT_4XX', ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': origin } });
  });

  it('sits behind a WAF web ACL with logging', () => {
    gw.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: Match.anyValue(),
      WebACLArn: Match.anyValue(),
    });
    gw.template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
  });
});

describe('identity', () => {
  it('creates a pool with the practiceId attribute, an admin group, and a client that cannot write practiceId', () => {
    gw.template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: Match.arrayWith([Match.objectLike({ Name: 'practiceId', AttributeDataType: 'String', Mutable: true })]),
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    gw.template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    const [[, client]] = ofType('AWS::Cognito::UserPoolClient') as [[string, { Properties: Record<string, any> }]];
    expect(client.Properties.ReadAttributes).toContain('custom:practiceId');
    expect(client.Properties.WriteAttributes).not.toContain('custom:practiceId');
  });
});
