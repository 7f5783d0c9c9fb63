/**
 * CloudWatch treats a metric as its exact set of dimensions: an alarm that names fewer or other
 * dimensions than the function writes watches a metric nobody writes. This compares what the
 * runtime's Powertools Metrics really serialises with what the alarms and dashboard query.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE } from '../../functions/core/metric-names';
import { createObservability } from '../../functions/core/observability';
import { TASK_NAMES } from '../../lib/catalog';
import { taskMetric } from '../../lib/constructs/gateway-alarms';

describe.each(TASK_NAMES)('%s custom metrics', (task) => {
  it('are written with exactly the namespace and dimensions the alarms watch', () => {
    // As the stack configures the function: no POWERTOOLS_SERVICE_NAME override beyond its own.
    const { metrics } = createObservability(task, {});
    metrics.addMetric(METRIC.providerThrottles, MetricUnit.Count, 1);
    const emf = metrics.serializeMetrics() as unknown as {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
      [dimension: string]: unknown;
    };
    const [directive] = emf._aws.CloudWatchMetrics;
    const written = Object.fromEntries(directive!.Dimensions[0]!.map((name) => [name, emf[name]]));

    const watched = taskMetric(task, METRIC.providerThrottles, 'Sum');
    expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
    expect(watched.namespace).toBe(METRICS_NAMESPACE);
    expect(written).toEqual(watched.dimensions);
  });
});
