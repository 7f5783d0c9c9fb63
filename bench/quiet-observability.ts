/**
 * Real Powertools logger and metrics for in-process scenarios, with their output off: the
 * benchmark's progress lines stay readable, and the cost of building log lines and metrics is
 * still paid as in Lambda. Powertools reads these variables when it is constructed.
 */
import { createObservability, type Observability } from '../functions/core/observability';

export function quietObservability(task: string): Observability {
  const saved = { level: process.env.POWERTOOLS_LOG_LEVEL, metrics: process.env.POWERTOOLS_METRICS_DISABLED };
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return createObservability(task, { ...process.env });
  } finally {
    restore('POWERTOOLS_LOG_LEVEL', saved.level);
    restore('POWERTOOLS_METRICS_DISABLED', saved.metrics);
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
