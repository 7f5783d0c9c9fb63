/**
 * The deployed names of the gateway's functions and REST API, derived from the stage alone. The
 * stack sets them (`functionName`, `restApiName`) and the usage report derives the same ones to
 * ask CloudWatch for their metrics, so neither the ops function nor `npm run usage` needs a list
 * of names in its environment (which Lambda caps at 4 KB, most of it the catalog already).
 */

/** What every deployed name starts with; the REST API is named `smartdental-ai-<stage>`. */
export const DEPLOYED_NAME_PREFIX = 'smartdental-ai';

/** `api` behind API Gateway, `worker` behind the imaging queue. */
export type DeployedFunctionRole = 'api' | 'worker';

/**
 * Lambda function names: 1–64 letters, digits, hyphens or underscores
 * (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html, FunctionName).
 */
const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `smartdental-ai-<stage>-<service>-<role>`, e.g. `smartdental-ai-prod-imaging-worker`; `service` is a task or `ops`. */
export function deployedFunctionName(stage: string, service: string, role: DeployedFunctionRole): string {
  const name = `${DEPLOYED_NAME_PREFIX}-${stage}-${service}-${role}`;
  if (!FUNCTION_NAME_PATTERN.test(name)) {
    throw new RangeError(`function name '${name}' is not a valid Lambda function name (1-64 letters, digits, '-' or '_'): shorten the stage '${stage}'`);
  }
  return name;
}

/** The stage of a function named by {@link deployedFunctionName}; undefined for any other name (e.g. the local runtime's). */
export function stageOfFunctionName(functionName: string, service: string, role: DeployedFunctionRole): string | undefined {
  const prefix = `${DEPLOYED_NAME_PREFIX}-`;
  const suffix = `-${service}-${role}`;
  if (!functionName.startsWith(prefix) || !functionName.endsWith(suffix)) return undefined;
  const stage = functionName.slice(prefix.length, -suffix.length);
  return stage === '' ? undefined : stage;
}

/** The REST API's name: the `ApiName` dimension of its AWS/ApiGateway metrics. Its stage is named after the stage too. */
export function deployedApiName(stage: string): string {
  return `${DEPLOYED_NAME_PREFIX}-${stage}`;
}
