import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '../../functions/core/metric-names';
import { taskMetric } from './gateway-alarms';

export interface DashboardTaskRow {
  readonly task: string;
  /** The task's functions (the API function, and the worker for imaging). */
  readonly functions: ReadonlyArray<{ label: string; fn: lambda.IFunction }>;
}

export interface TaskDashboardProps {
  readonly dashboardName: string;
  readonly rows: ReadonlyArray<DashboardTaskRow>;
  readonly imagingQueue: sqs.IQueue;
  readonly imagingDeadLetters: sqs.IQueue;
}

const PERIOD = Duration.minutes(1);

/**
 * One row per task, side by side: invocations, Lambda throttles, p95 duration and tokens, so
 * "which task is slow or burning tokens" is one glance. A last row shows the imaging queue.
 */
export class TaskDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TaskDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    for (const row of props.rows) {
      const perFunction = (metric: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
        row.functions.map(({ label, fn }) => (metric(fn) as cloudwatch.Metric).with({ label }));
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${row.task}: invocations`,
          left: perFunction((fn) => fn.metricInvocations({ period: PERIOD, statistic: 'Sum' })),
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: `${row.task}: throttles (Lambda, provider 429)`,
          left: [
            ...perFunction((fn) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
            taskMetric(row.task, METRIC.providerThrottles, 'Sum').with({ label: 'provider 429' }),
          ],
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: `${row.task}: duration p95`,
          left: perFunction((fn) => fn.metricDuration({ period: PERIOD, statistic: 'p95' })),
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: `${row.task}: tokens per minute`,
          left: [
            taskMetric(row.task, METRIC.inputTokens, 'Sum').with({ label: 'input' }),
            taskMetric(row.task, METRIC.outputTokens, 'Sum').with({ label: 'output' }),
          ],
          right: [taskMetric(row.task, METRIC.budgetUsedPercent, 'Maximum').with({ label: 'budget used %' })],
          width: 6,
        }),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'imaging queue: depth and dead letters',
        left: [
          props.imagingQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'queued' }),
          props.imagingDeadLetters.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'dead letters' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'imaging queue: age of oldest message (s)',
        left: [props.imagingQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' })],
        width: 12,
      }),
    );
  }
}
