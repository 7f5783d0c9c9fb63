import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_DIMENSION, TASK_DIMENSION, serviceNameOf } from '../../functions/core/metric-names';

/** The custom metric of one task, as the runtime publishes it (Powertools Metrics, EMF). */
/** Share of API requests answered 4xx (throttles included) that pages someone. */
export const API_CLIENT_ERROR_RATE = 0.1;

export function taskMetric(task: string, metricName: string, statistic: string, period = Duration.minutes(1)): cloudwatch.Metric {
  // Exactly the dimensions Powertools writes: its service name and our task dimension.
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { [SERVICE_DIMENSION]: serviceNameOf(task), [TASK_DIMENSION]: task }, statistic, period });
}

/** Percent of the daily token budget at which the budget alarm fires. */
export const BUDGET_ALARM_PERCENT = 80;

/**
 * The alarm topic (encrypted with a key CloudWatch may use) and the alarms that publish to it:
 * Lambda throttles and errors per function, the imaging queue's age and dead letters, provider
 * 429s and budget use per task. Subscribe an e-mail or a pager to {@link topic}.
 */
export class GatewayAlarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the SmartDental alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // Without this, CloudWatch cannot publish to an SNS topic encrypted with a customer key and
    // every alarm action fails silently.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'SmartDental AI gateway alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.action = new actions.SnsAction(this.topic);
  }

  /** Lambda throttles (≥ 1 in a minute: the task hit its concurrency ceiling) and errors. */
  public watchFunction(fn: lambda.IFunction, label: string): void {
    this.add(`${label}Throttles`, {
      metric: fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${label}: Lambda throttled at least one invocation in a minute; the task is at its reserved concurrency.`,
    });
    this.add(`${label}Errors`, {
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${label}: the function failed (an unhandled error or a timeout, not a 4xx answer).`,
    });
  }

  /** The oldest imaging job has waited longer than `maxAge`: the worker cannot keep up. */
  public watchQueueAge(queue: sqs.IQueue, label: string, maxAge: Duration): void {
    this.add(`${label}QueueAge`, {
      metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: maxAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      alarmDescription: `${label}: the oldest queued message is older than ${maxAge.toSeconds()} s for 5 minutes.`,
    });
  }

  /** Any message in a dead-letter queue is a job that failed for good and needs a look. */
  public watchDeadLetters(queue: sqs.IQueue, label: string): void {
    this.add(`${label}DeadLetters`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      alarmDescription: `${label}: messages in the dead-letter queue.`,
    });
  }

  /** Provider 429s for the task's keys, and daily budget use at or above 80 %. */
  public watchTask(task: string, label: string): void {
    this.add(`${label}ProviderThrottles`, {
      metric: taskMetric(task, METRIC.providerThrottles, 'Sum', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${task}: the AI provider answered 429 for this task's keys (rate or token limit of the key).`,
    });
    this.add(`${label}ProviderFailures`, {
      metric: taskMetric(task, METRIC.providerFailures, 'Sum', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${task}: every provider in the chain failed for at least one request (503 to the caller).`,
    });
    // The task's own 429s: a caller refused because the day's budget or the minute's ceiling is spent.
    this.add(`${label}OverBudget`, {
      metric: taskMetric(task, METRIC.overBudgetRejections, 'Sum', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${task}: callers were refused with 429 OverBudget (daily token budget or tokens-per-minute ceiling reached).`,
    });
    this.add(`${label}Budget`, {
      metric: taskMetric(task, METRIC.budgetUsedPercent, 'Maximum', Duration.minutes(5)),
      threshold: BUDGET_ALARM_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${task}: ${BUDGET_ALARM_PERCENT} % or more of today's token budget is used.`,
    });
  }

  /**
   * Server-side answers of the API: every 503 (a provider chain that failed, DynamoDB or Secrets
   * Manager unreachable) and anything worse. Callers were told to retry; someone should look.
   */
  public watchApi(api: apigateway.RestApi, label: string): void {
    this.add(`${label}ServerErrors`, {
      metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${label}: 5 or more 5xx answers in 5 minutes (providers or a dependency unavailable).`,
    });
    // API Gateway's own refusals: stage throttling and a task at its concurrency limit are 429s,
    // authorizer and validation failures 4xx; REST publishes them together as 4XXError, whose
    // Average is the share of requests that got one.
    this.add(`${label}ClientErrorRate`, {
      metric: api.metricClientError({ period: Duration.minutes(5), statistic: 'Average' }),
      threshold: API_CLIENT_ERROR_RATE,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription: `${label}: ${API_CLIENT_ERROR_RATE * 100} % or more of requests got a 4xx (429 throttles, 401, 400) for 10 minutes.`,
    });
  }

  private add(id: string, props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { evaluationPeriods?: number }): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
  }
}
