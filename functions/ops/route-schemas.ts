/**
 * What the OpenAPI document says about each route: its zod request and response schemas (the
 * same ones the handlers validate with), a summary and the answers it can give. Keyed by
 * `"<METHOD> <path>"` as the catalog names routes; a test fails when a catalog route has no entry,
 * so a new route cannot ship undocumented.
 */
import { CHAT_STREAM_EVENTS } from '../chat/stream-events';
import * as z from '#core/zod';
import {
  claimRequestSchema,
  claimResponseSchema,
  estimateRequestSchema,
  estimateResponseSchema,
} from '../billing/schemas';
import { chatRequestSchema, chatResponseSchema } from '../chat/schemas';
import {
  diagnosesRequestSchema,
  diagnosesResponseSchema,
  treatmentPlanRequestSchema,
  treatmentPlanResponseSchema,
} from '../clinical/schemas';
import {
  analysisAcceptedSchema,
  analysisJobSchema,
  analysisRequestSchema,
  jobIdSchema,
  uploadRequestSchema,
  uploadResponseSchema,
} from '../imaging/schemas';
import {
  reminderRequestSchema,
  reminderResponseSchema,
  slotsRequestSchema,
  slotsResponseSchema,
} from '../scheduling/schemas';
import { healthResponseSchema, practiceUsageReportSchema, usageQuerySchema, usageReportSchema } from './schemas';

export interface RouteDocumentation {
  /** Stable name for generated clients (`suggestDiagnoses`, not `postV1ClinicalDiagnoses`). */
  operationId: string;
  summary: string;
  description?: string;
  /** `user` (default): any signed-in user of a practice; `admin`: the admin group; `none`: public. */
  auth?: 'user' | 'admin' | 'none';
  /** JSON request body. */
  request?: z.ZodType;
  /** JSON body of the success answer. */
  response: z.ZodType;
  /** @default 200 */
  successStatus?: 200 | 202;
  pathParameters?: z.ZodObject;
  query?: z.ZodObject;
  /** How the route streams server-sent events (catalog routes with `streaming: true` need this). */
  eventStream?: string;
  /** The schema of each event's `data`, by event name. */
  events?: Record<string, z.ZodType>;
  /** The route honours an `Idempotency-Key` header (a reused key with another body is a 422). */
  idempotent?: boolean;
  /** When the route answers 404 (beyond an unknown path). */
  notFound?: string;
  /** Answers from memory: no DynamoDB, no provider, so no 503 either. */
  static?: boolean;
}

/** The operations routes; they are not in the task catalog because they belong to no AI task. */
export const OPS_ROUTES = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/v1/usage' },
] as const;

/** The OpenAPI document itself, described loosely: a schema of OpenAPI would say nothing useful here. */
const openApiDocumentSchema = z
  .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).loose(), paths: z.record(z.string(), z.unknown()) })
  .loose()
  .describe('This document (OpenAPI 3.1)');

export const ROUTE_DOCUMENTATION: Record<string, RouteDocumentation> = {
  // ------------------------------------------------------------------ imaging
  'POST /v1/imaging/analyses': {
    operationId: 'createImagingAnalysis',
    summary: 'Queue a radiograph for analysis',
    description:
      'Validates the image (JPEG, PNG or uncompressed grayscale DICOM, recognised by its bytes, at least 64×64) and queues it for the vision model. ' +
      'Answers 202 with a job id at once; poll GET /v1/imaging/analyses/{jobId} for the findings. Images over 4 MB go through POST /v1/imaging/uploads first.',
    request: analysisRequestSchema,
    response: analysisAcceptedSchema,
    successStatus: 202,
    idempotent: true,
  },
  'GET /v1/imaging/analyses/{jobId}': {
    operationId: 'getImagingAnalysis',
    summary: 'Read the state of an imaging analysis',
    description: 'queued → running → succeeded (with findings) or failed (with a reason).',
    pathParameters: z.object({ jobId: jobIdSchema.describe('The jobId returned by POST /v1/imaging/analyses') }),
    response: analysisJobSchema,
    notFound: "No such job, or the job belongs to another practice",
  },
  'POST /v1/imaging/uploads': {
    operationId: 'createImagingUpload',
    summary: 'Get a presigned POST to upload a large radiograph',
    description: 'For images up to 25 MB: POST the image as multipart/form-data to url with the returned fields (file last), then send the uploadKey to POST /v1/imaging/analyses.',
    request: uploadRequestSchema,
    response: uploadResponseSchema,
  },
  // ------------------------------------------------------------------ clinical
  'POST /v1/clinical/diagnoses': {
    operationId: 'suggestDiagnoses',
    summary: 'Differential diagnosis from findings and history',
    description: 'Decision support for the dentist: ranked differential diagnoses with confidence and rationale, recommended tests and urgency.',
    request: diagnosesRequestSchema,
    response: diagnosesResponseSchema,
  },
  'POST /v1/clinical/treatment-plans': {
    operationId: 'planTreatment',
    summary: 'Phased treatment plan for diagnoses',
    description: 'Procedures with CDT codes, teeth, rationale and urgency, in phases, plus alternatives. Invalid codes or teeth from the model are repaired or dropped with a warning.',
    request: treatmentPlanRequestSchema,
    response: treatmentPlanResponseSchema,
  },
  // ------------------------------------------------------------------ billing
  'POST /v1/billing/claims': {
    operationId: 'draftClaim',
    summary: 'Suggest CDT codes and a claim narrative',
    description: 'Code suggestions with rationale, a narrative where payers usually ask for one, and the insurance estimate for the procedures.',
    request: claimRequestSchema,
    response: claimResponseSchema,
    idempotent: true,
  },
  'POST /v1/billing/estimates': {
    operationId: 'estimateCoverage',
    summary: 'Insurance and patient shares, exact to the cent',
    description: 'Plain arithmetic, no AI: CDT category (defaults or categoryOverrides), coinsurance, deductible, then the annual maximum (or the ortho lifetime maximum for orthodontic lines), line by line in the order given.',
    request: estimateRequestSchema,
    response: estimateResponseSchema,
  },
  // ------------------------------------------------------------------ scheduling
  'POST /v1/scheduling/slots': {
    operationId: 'findSlots',
    summary: 'Ranked free appointment slots',
    description: 'Plain code, no AI: slots inside working hours that never overlap an appointment, ranked by the patient’s preferences.',
    request: slotsRequestSchema,
    response: slotsResponseSchema,
  },
  'POST /v1/scheduling/reminders': {
    operationId: 'draftReminder',
    summary: 'Word an appointment reminder (SMS or email)',
    description: 'From a small model; when the model is unavailable or over budget, a template message comes back with source "template" instead of an error.',
    request: reminderRequestSchema,
    response: reminderResponseSchema,
  },
  // ------------------------------------------------------------------ chat
  'POST /v1/chat/messages': {
    operationId: 'sendChatMessage',
    summary: 'Patient chat reply',
    description:
      'Never states a diagnosis. Messages describing an emergency get escalate: true and advice to call the practice or emergency services, decided before any model is asked. ' +
      'Send Accept: text/event-stream to receive the reply as server-sent events.',
    request: chatRequestSchema,
    response: chatResponseSchema,
    eventStream:
      'Server-sent events (Accept: text/event-stream). `event: delta` with data {"text"} as the model writes; then `event: done` with data ' +
      '{"escalate", "escalationReason"?, "advice"?, "usage"?: {"inputTokens", "outputTokens"}}. A failure after the stream has started ends it with ' +
      '`event: error` carrying the ErrorBody; failures before it starts are ordinary JSON error answers.',
    events: CHAT_STREAM_EVENTS,
  },
  // ------------------------------------------------------------------ operations
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Liveness and the tasks this deployment serves',
    auth: 'none',
    response: healthResponseSchema,
    static: true,
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the zod schemas the functions validate with; a copy is kept in the repository as openapi.json.',
    auth: 'none',
    response: openApiDocumentSchema,
    static: true,
  },
  'GET /v1/usage': {
    operationId: 'getUsageReport',
    summary: 'Token usage, cost, throttles and latency per task and per key',
    description:
      'Administrators only. Rows are sorted so the task closest to its limits (budget, tokens per minute, timeout; any throttle counts as 100 %) or slowest comes first; ' +
      'underMostPressure names it. The same report as `npm run usage -- --json`. ' +
      'With by=practice, the chargeback report instead (PracticeUsageReport): each practice’s spend per task over whole UTC days and how close it runs to its share, under most pressure first (`npm run usage -- --by practice --json`).',
    auth: 'admin',
    query: usageQuerySchema,
    response: z.union([usageReportSchema, practiceUsageReportSchema]),
  },
};

/** `"POST /v1/clinical/diagnoses"`: how routes are keyed here and in the catalog checks. */
export function routeKey(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}
