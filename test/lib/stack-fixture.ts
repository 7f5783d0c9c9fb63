/**
 * Builds the gateway stack the way `cdk synth` does (cdk.json's context and feature flags), with
 * esbuild bundling skipped so a template test takes seconds instead of a bundle per function.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createGatewayStack, type SmartDentalStack } from '../../lib/stack';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdkJson = require('../../cdk.json') as { context: Record<string, unknown> };

export function appWithContext(extra: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...extra } });
}

export interface SynthesizedGateway {
  app: App;
  stack: SmartDentalStack;
  template: Template;
  resources: Record<string, { Type: string; Properties?: Record<string, any>; [key: string]: unknown }>;
}

export function synthGateway(extra: Record<string, unknown> = {}): SynthesizedGateway {
  const app = appWithContext(extra);
  const stack = createGatewayStack(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources };
}

export function logicalIdOf(stack: SmartDentalStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}
