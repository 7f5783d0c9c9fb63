import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_GATEWAY_TIMEOUT_SECONDS, COLD_START_ALLOWANCE_SECONDS, STREAMING_API_GATEWAY_TIMEOUT_SECONDS } from '../catalog';
import { GATEWAY_ANSWERS, gatewayResponseHeaders, gatewayResponseTemplate, type GatewayAnswer } from '../gateway-responses';

/** REST API Gateway's default integration timeout; more needs a quota increase per account. */
export const DEFAULT_INTEGRATION_TIMEOUT_SECONDS = API_GATEWAY_TIMEOUT_SECONDS;

/**
 * Who owns API Gateway's region-wide CloudWatch role (`AWS::ApiGateway::Account`), which access and
 * execution logging need: `create` makes and registers one (retained on delete, so removing this
 * stage never breaks another stage's logging), `existing` leaves the account's setting alone.
 */
export type ApiGatewayAccountRole = 'create' | 'existing';
export const API_GATEWAY_ACCOUNT_ROLES: readonly ApiGatewayAccountRole[] = ['create', 'existing'];

export interface GatewayApiProps {
  /** Stage name in the URL, e.g. `dev` or `prod`. */
  readonly stageName: string;
  readonly userPool: cognito.IUserPool;
  /** The front end's origin, the only one CORS allows. */
  readonly allowedOrigin: string;
  /** Encrypts the access-log group. */
  readonly logKey: kms.IKey;
  /** Requests per second across the stage. @default 100 */
  readonly rateLimit?: number;
  /** Burst across the stage. @default 200 */
  readonly burstLimit?: number;
  /** Upper bound of any buffered integration timeout (raise after a quota increase). @default 29 */
  readonly maxIntegrationTimeoutSeconds?: number;
  /** @default 'create' */
  readonly accountRole?: ApiGatewayAccountRole;
}

export interface RouteTarget {
  readonly method: 'GET' | 'POST';
  /** Resource path, e.g. `/v1/imaging/analyses/{jobId}`. */
  readonly path: string;
  /** Answer with a response stream (chat's server-sent events). @default false */
  readonly streaming?: boolean;
}

export interface RouteOptions {
  /** false only for `/health` and `/openapi.json`. @default true */
  readonly authorized?: boolean;
  /**
   * The function's timeout. The integration waits a cold start longer
   * (+{@link COLD_START_ALLOWANCE_SECONDS}), up to the API's bound. @default the API's bound
   */
  readonly timeout?: Duration;
}

/**
 * The REST API the front end calls: Cognito authorizer, request validation, JSON access logs,
 * stage throttling, CORS for one origin, and response streaming where a route asks for it.
 * Routes are added one call per catalog route (see {@link addRoute}), never written out by hand.
 */
export class GatewayApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly authorizer: apigateway.CognitoUserPoolsAuthorizer;
  public readonly validator: apigateway.RequestValidator;
  public readonly accessLogs: logs.LogGroup;
  private readonly jsonObjectModel: apigateway.Model;
  private readonly maxIntegrationTimeout: number;
  private readonly acknowledgedPreflights = new Set<apigateway.Method>();

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    this.maxIntegrationTimeout = props.maxIntegrationTimeoutSeconds ?? DEFAULT_INTEGRATION_TIMEOUT_SECONDS;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logKey,
    });
    this.api = this.buildRestApi(props);
    this.addGatewayAnswers(`'${props.allowedOrigin}'`);
    this.authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: 'method.request.header.Authorization',
      resultsCacheTtl: Duration.minutes(5),
    });
    this.validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The gateway only checks that a body is a JSON object; each handler's zod schema checks the
    // fields and answers 400 naming them.
    this.jsonObjectModel = this.api.addModel('JsonObject', {
      contentType: 'application/json',
      modelName: 'JsonObject',
      schema: { schema: apigateway.JsonSchemaVersion.DRAFT4, type: apigateway.JsonSchemaType.OBJECT },
    });
    this.acknowledgeApiFindings();
  }

  private buildRestApi(props: GatewayApiProps): apigateway.RestApi {
    return new apigateway.RestApi(this, 'Api', {
      restApiName: `smartdental-ai-${props.stageName}`,
      description: 'SmartDental AI gateway: one Lambda, key and concurrency limit per AI task',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Access and execution logs need API Gateway's account-level CloudWatch role. It is one setting
      // per account and region: a second stage in the same account passes apiGatewayAccountRole=existing.
      ...((props.accountRole ?? 'create') === 'create' ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : { cloudWatchRole: false }),
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        // Errors only and never request or response bodies: bodies carry patient data.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.rateLimit ?? 100,
        throttlingBurstLimit: props.burstLimit ?? 200,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: [props.allowedOrigin],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Idempotency-Key'],
        maxAge: Duration.hours(1),
      },
    });
  }

  private addGatewayAnswers(corsOrigin: string): void {
    // API Gateway's own answers (401 from the authorizer, 400 from validation, 429 from
    // throttling, a throttled function's invoke) get the project's error body, Retry-After where a
    // retry helps, and the CORS headers, or the browser hides the status from the app.
    for (const [name, answer] of Object.entries(GATEWAY_ANSWERS) as Array<[string, GatewayAnswer]>) {
      const headers = Object.fromEntries(Object.entries(gatewayResponseHeaders(answer)).filter(([key]) => key !== 'content-type'));
      this.api.addGatewayResponse(pascalCase(name), {
        type: apigateway.ResponseType.of(answer.type),
        statusCode: answer.statusCode === undefined ? undefined : String(answer.statusCode),
        responseHeaders: {
          'Access-Control-Allow-Origin': corsOrigin,
          'Access-Control-Expose-Headers': "'Retry-After,x-amzn-RequestId'",
          ...Object.fromEntries(Object.entries(headers).map(([key, value]) => [pascalHeader(key), `'${value}'`])),
        },
        templates: { 'application/json': gatewayResponseTemplate(answer) },
      });
    }
  }

  private acknowledgeApiFindings(): void {
    const cacheReason =
      'Every AI route is a POST whose answer depends on the caller\'s practice and body; API Gateway caching would risk serving one practice\'s answer to another. Caching happens in the functions, scoped per practice.';
    Validations.of(this.api).acknowledge({ id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted', reason: cacheReason });
    Validations.of(this.api).acknowledge({
      id: 'HIPAA.Security-APIGWSSLEnabled',
      reason: 'A client certificate authenticates API Gateway to HTTP backends; every integration here is a Lambda invoked through IAM, which has no TLS endpoint to present it to.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role API Gateway needs for execution logs; AWS maintains this policy for exactly this purpose and API Gateway accepts no narrower one.',
    });
  }

  /** Adds one route backed by a function; authorized by Cognito unless told otherwise. */
  public addRoute(route: RouteTarget, handler: lambda.IFunction, options: RouteOptions = {}): apigateway.Method {
    const authorized = options.authorized ?? true;
    // Lambda's timeout starts after init, API Gateway's clock before it: wait a little longer than
    // the function, or a cold caller gets a 504 while the function still runs and spends tokens.
    // A streamed route may wait up to 15 minutes without a quota increase (see
    // STREAMING_API_GATEWAY_TIMEOUT_SECONDS); a buffered one is held to the API's bound.
    const bound = route.streaming ? STREAMING_API_GATEWAY_TIMEOUT_SECONDS : this.maxIntegrationTimeout;
    const wanted = options.timeout ? options.timeout.toSeconds() + COLD_START_ALLOWANCE_SECONDS : bound;
    const timeoutSeconds = Math.min(wanted, bound);
    const integration = new apigateway.LambdaIntegration(handler, {
      proxy: true,
      // One invoke permission per function instead of two per method.
      scopePermissionToMethod: false,
      timeout: Duration.seconds(timeoutSeconds),
      responseTransferMode: route.streaming ? apigateway.ResponseTransferMode.STREAM : apigateway.ResponseTransferMode.BUFFERED,
    });
    const resource = this.api.root.resourceForPath(route.path);
    const method = resource.addMethod(route.method, integration, {
      authorizer: authorized ? this.authorizer : undefined,
      authorizationType: authorized ? apigateway.AuthorizationType.COGNITO : apigateway.AuthorizationType.NONE,
      requestValidator: this.validator,
      requestModels: route.method === 'POST' ? { 'application/json': this.jsonObjectModel } : undefined,
      requestParameters: Object.fromEntries(pathParameters(route.path).map((name) => [`method.request.path.${name}`, true])),
    });
    if (!authorized) {
      const reason = `${route.method} ${route.path} is public by design: load balancers and the front end's client generator call it without a token, and it returns no patient or practice data.`;
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
    }
    this.acknowledgePreflights();
    return method;
  }

  /** CORS preflight (OPTIONS) cannot carry credentials: browsers send it without the token. */
  private acknowledgePreflights(): void {
    for (const method of this.api.methods) {
      if (method.httpMethod !== 'OPTIONS' || this.acknowledgedPreflights.has(method)) continue;
      const reason = 'CORS preflight: browsers send OPTIONS without an Authorization header, so it cannot be authorized; the mock integration returns only CORS headers.';
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
      this.acknowledgedPreflights.add(method);
    }
  }
}

function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** `retry-after` → `Retry-After`, as browsers and the OpenAPI document spell it. */
function pascalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => `${dash}${c.toUpperCase()}`);
}

function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]!);
}
