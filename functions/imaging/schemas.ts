/**
 * Request, response and model-output schemas of the imaging task.
 */
import * as z from '#core/zod';
import { toothNumberSchema } from '../domain/dental-codes';

/** Largest image sent inline in the JSON body (decoded bytes). */
export const INLINE_IMAGE_MAX_BYTES = 4 * 1024 * 1024;
/** Largest image sent through POST /v1/imaging/uploads: the request schema's cap and the POST policy's content-length-range. */
export const UPLOAD_MAX_BYTES = 25 * 1024 * 1024;

export const MODALITIES = ['bitewing', 'periapical', 'panoramic', 'cephalometric'] as const;
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'application/dicom'] as const;
export const FINDING_TYPES = ['caries', 'periapical lesion', 'bone loss', 'calculus', 'restoration', 'root canal treatment', 'impacted tooth', 'other'] as const;
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const modalitySchema = z.enum(MODALITIES).check(z.describe('Kind of radiograph'));
export const imageContentTypeSchema = z.enum(IMAGE_CONTENT_TYPES).check(z.describe('Declared type; the bytes must match it (the format is recognised from the bytes)'));

/** Object-store key handed out by POST /v1/imaging/uploads; no `..`, no leading slash. */
export const uploadKeySchema = z.string().check(z.minLength(1), z.maxLength(256), z.regex(/^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9/_.-]*$/, 'must be an uploadKey returned by POST /v1/imaging/uploads'), z.describe('The uploadKey returned by POST /v1/imaging/uploads'));

/** The longest base64 text of an image within the inline limit. */
export const INLINE_BASE64_MAX_CHARS = Math.ceil(INLINE_IMAGE_MAX_BYTES / 3) * 4;
/**
 * Body limit of POST /v1/imaging/analyses: the base64 of a 4 MiB image (about 5.6 MB) and room
 * for the other fields. A larger body is a 413 before it is parsed (API Gateway's own limit is
 * 10 MB); a smaller one whose image is over the inline limit is a 413 from the intake.
 */
export const ANALYSIS_MAX_BODY_BYTES = INLINE_BASE64_MAX_CHARS + 64 * 1024;

export const inlineImageSchema = z.strictObject({
  contentType: imageContentTypeSchema,
  dataBase64: z.string().check(z.minLength(1), z.maxLength(ANALYSIS_MAX_BODY_BYTES), z.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be standard base64 without line breaks'), z.describe(`The image bytes, base64 (up to ${INLINE_IMAGE_MAX_BYTES} bytes decoded; larger is a 413)`)),
});

// ---------------------------------------------------------------- POST /v1/imaging/analyses

export const analysisRequestSchema = z.strictObject({
  modality: modalitySchema,
  image: z.optional(inlineImageSchema),
  uploadKey: z.optional(uploadKeySchema),
}).check(z.refine((body) => (body.image === undefined) !== (body.uploadKey === undefined), {
  message: 'send exactly one of image (inline, up to 4 MB) or uploadKey (from POST /v1/imaging/uploads)',
  path: ['image'],
}), z.meta({
  id: 'AnalysisRequest',
  description: 'A radiograph to analyse: exactly one of `image` (inline) or `uploadKey`. JPEG, PNG or DICOM Part 10 (uncompressed grayscale). No patient identifiers.',
  // The refine above, said in JSON Schema so a generated client knows it too.
  oneOf: [{ required: ['image'] }, { required: ['uploadKey'] }],
}));

export const analysisAcceptedSchema = z.strictObject({ jobId: z.string(), status: z.literal('queued') }).check(z.meta({ id: 'AnalysisAccepted', description: '202: the job is queued; poll GET /v1/imaging/analyses/{jobId}' }));

// ---------------------------------------------------------------- POST /v1/imaging/uploads

export const uploadRequestSchema = z.strictObject({
  contentType: imageContentTypeSchema,
  sizeBytes: z.number().check(z.int(), z.gte(1), z.lte(UPLOAD_MAX_BYTES, `images up to ${UPLOAD_MAX_BYTES} bytes are accepted`)),
}).check(z.meta({ id: 'UploadRequest', description: `Ask for a presigned POST to upload one image of sizeBytes bytes (up to ${UPLOAD_MAX_BYTES} bytes, 25 MB)` }));

const UPLOAD_USAGE =
  'Upload with a multipart/form-data POST to `url`, as a browser form does: append every entry of `fields` first, unchanged, then the image as the last field, named `file` ' +
  "(`const form = new FormData(); for (const [k, v] of Object.entries(fields)) form.append(k, v); form.append('file', blob); await fetch(url, { method: 'POST', body: form })`; " +
  'do not set Content-Type on the request, the browser adds the boundary). S3 answers 204 when stored. It checks the signed policy itself: the file must be 1 to maxBytes bytes ' +
  '(400 EntityTooLarge / EntityTooSmall), the key and Content-Type must be the ones in `fields` (403 AccessDenied), and the policy expires at expiresAt.';

export const uploadResponseSchema = z.strictObject({
  uploadKey: uploadKeySchema,
  url: z.url().check(z.describe('The form action: POST the multipart/form-data here (the bucket, not the object)')),
  fields: z.record(z.string(), z.string()).check(z.describe('Form fields to send before the file, unchanged: key, Content-Type, Policy, X-Amz-Signature and the other X-Amz-* fields')),
  expiresAt: z.iso.datetime().check(z.describe('ISO-8601 UTC; the policy stops working after this')),
  maxBytes: z.number().check(z.int(), z.describe('Largest file the policy accepts: the announced sizeBytes')),
}).check(z.meta({ id: 'UploadResponse', description: UPLOAD_USAGE }));

// ---------------------------------------------------------------- findings

const findingFields = {
  type: z.enum(FINDING_TYPES),
  confidence: z.number().check(z.gte(0), z.lte(1), z.describe('0–1')),
  note: z.string().check(z.maxLength(500), z.describe('Short description of what is seen and where')),
};

export const findingSchema = z.strictObject({ ...findingFields, toothNumber: z.nullable(toothNumberSchema).check(z.describe('Universal notation, or null when not tooth-specific')) }).check(z.meta({ id: 'ImagingFinding' }));

/** What the vision model must return for `imaging.findings`; also the job's `result`. */
export const findingsModelOutputSchema = z.strictObject({
  findings: z.array(findingSchema).check(z.maxLength(64)),
  summary: z.string().check(z.minLength(1), z.maxLength(2000)),
}).check(z.meta({ id: 'ImagingFindings', description: 'Findings on a radiograph, for the dentist to review' }));

// ---------------------------------------------------------------- GET /v1/imaging/analyses/{jobId}

export const jobIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be a jobId returned by POST /v1/imaging/analyses'));

export const analysisJobSchema = z.strictObject({
  jobId: z.string(),
  status: z.enum(JOB_STATUSES),
  result: z.optional(findingsModelOutputSchema).check(z.describe('Present when status is succeeded')),
  error: z.optional(z.strictObject({ code: z.string(), message: z.string() })).check(z.describe('Present when status is failed')),
}).check(z.meta({ id: 'AnalysisJob', description: 'State of an imaging analysis job' }));

export type Modality = z.infer<typeof modalitySchema>;
export type ImageContentType = z.infer<typeof imageContentTypeSchema>;
export type AnalysisRequest = z.infer<typeof analysisRequestSchema>;
export type AnalysisAccepted = z.infer<typeof analysisAcceptedSchema>;
export type UploadRequest = z.infer<typeof uploadRequestSchema>;
export type UploadResponse = z.infer<typeof uploadResponseSchema>;
export type Finding = z.infer<typeof findingSchema>;
export type FindingsModelOutput = z.infer<typeof findingsModelOutputSchema>;
export type AnalysisJob = z.infer<typeof analysisJobSchema>;
