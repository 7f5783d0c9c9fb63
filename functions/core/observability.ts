/**
 * Logger and metrics for one function, created once at module scope. Log lines carry the task,
 * the request id and, where a model was called, the key fingerprint and token counts; they never
 * carry prompt text, patient data or a key (see {@link redactForLog}).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, TASK_DIMENSION, serviceNameOf } from './metric-names';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export function createObservability(task: string, env: NodeJS.ProcessEnv = process.env): Observability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME ?? serviceNameOf(task);
  const logger = new Logger({ serviceName, persistentKeys: { task } });
  const metrics = new Metrics({
    // Powertools warns on every invocation that publishes no metric (plain-code routes); that is
    // expected here, so it goes to debug instead of filling the logs.
    logger: { ...bindLogger(logger), warn: (...args: unknown[]) => logger.debug(String(args[0])) },
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName,
    defaultDimensions: { [TASK_DIMENSION]: task },
  });
  return { logger, metrics };
}

function bindLogger(logger: Logger) {
  return {
    trace: (...args: unknown[]) => logger.debug(String(args[0])),
    debug: (...args: unknown[]) => logger.debug(String(args[0])),
    info: (...args: unknown[]) => logger.info(String(args[0])),
    error: (...args: unknown[]) => logger.error(String(args[0])),
  };
}

/**
 * Error details safe to log: the class, the code, the status and the message of our own typed
 * errors; for anything else only the class and a bounded message, because a third-party message
 * can echo request content.
 */
export function redactForLog(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorType: typeof error };
  const out: Record<string, unknown> = { errorType: error.name };
  const withCode = error as Error & { code?: unknown; statusCode?: unknown; status?: unknown; kind?: unknown };
  if (typeof withCode.code === 'string') out.errorCode = withCode.code;
  if (typeof withCode.statusCode === 'number') out.statusCode = withCode.statusCode;
  if (typeof withCode.status === 'number') out.providerStatus = withCode.status;
  if (typeof withCode.kind === 'string') out.failureKind = withCode.kind;
  out.errorMessage = scrubSecrets(error.message).slice(0, 300);
  return out;
}

const SECRET_LIKE = /\b(sk-[A-Za-z0-9_-]{8,}|sk-ant-[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._-]{8,})/g;

/** Removes anything shaped like an API key or a bearer token from a message. */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_LIKE, '[redacted]');
}
