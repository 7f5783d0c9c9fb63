/**
 * What a task's role may invoke on Amazon Bedrock: the models its own catalog entry names, by ARN.
 *
 * Converse is authorised as `bedrock:InvokeModel` and ConverseStream as
 * `bedrock:InvokeModelWithResponseStream`; there is no separate Converse action
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-prereq.html, "The following list
 * summarizes whether you need an action"; resource ARN formats:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html).
 *
 * A model id with a geography prefix (`us.`, `eu.`, `apac.`, `global.`…) is a cross-Region
 * inference profile. Invoking it needs the profile's ARN in this account and Region *and* the
 * foundation model in every Region the profile routes to: "If you specify an inference profile in
 * the Resource field … you must also specify the foundation model in each Region associated with
 * it" (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html). AWS's
 * own examples there write that foundation model as `arn:aws:bedrock:*::foundation-model/…`, and the
 * destination Regions of a profile change as AWS adds them, so the Region is the one wildcard,
 * only for a model behind a profile, and only for that model's id.
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';

export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] as const;

/** Geography prefixes of Bedrock's system-defined cross-Region inference profiles. */
const INFERENCE_PROFILE_ID = /^(us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/;

export interface BedrockModelArns {
  /** ARNs in the stack's own Region (and account, for a profile). */
  regional: string[];
  /** Foundation-model ARNs with a wildcard Region: the destinations of a cross-Region profile. */
  anyRegion: string[];
}

/** The foundation model an inference-profile id routes to, or undefined for a plain model id. */
export function profiledModelOf(modelId: string): string | undefined {
  return INFERENCE_PROFILE_ID.exec(modelId)?.[2];
}

export function bedrockModelArns(stack: Stack, modelIds: readonly string[]): BedrockModelArns {
  const foundationModel = (id: string, region?: string) =>
    stack.formatArn({ service: 'bedrock', region, account: '', resource: 'foundation-model', resourceName: id, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const regional = new Set<string>();
  const anyRegion = new Set<string>();
  for (const id of modelIds) {
    const routed = profiledModelOf(id);
    if (routed === undefined) {
      regional.add(foundationModel(id));
    } else {
      regional.add(stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: id, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
      anyRegion.add(foundationModel(routed, '*'));
    }
  }
  return { regional: [...regional], anyRegion: [...anyRegion] };
}
