/**
 * The imaging API function's routes, declared once: the catalog, the handler's dispatch, the
 * OpenAPI document and the fuzzer all read them from here.
 */
import { declareRoute } from '#core/route-declaration';
import * as z from '#core/zod';
import {
  ANALYSIS_MAX_BODY_BYTES,
  analysisAcceptedSchema,
  analysisJobSchema,
  analysisRequestSchema,
  jobIdSchema,
  uploadRequestSchema,
  uploadResponseSchema,
} from './schemas';

export const ROUTES = {
  submitAnalysis: declareRoute({
    method: 'POST',
    path: '/v1/imaging/analyses',
    ai: true,
    request: analysisRequestSchema,
    maxBodyBytes: ANALYSIS_MAX_BODY_BYTES,
    response: analysisAcceptedSchema,
    successStatus: 202,
    idempotent: true,
    operationId: 'createImagingAnalysis',
    summary: 'Queue a radiograph for analysis',
    description:
      'Validates the image (JPEG, PNG or uncompressed grayscale DICOM, recognised by its bytes, at least 64×64) and queues it for the vision model. ' +
      'Answers 202 with a job id at once; poll GET /v1/imaging/analyses/{jobId} for the findings. Images over 4 MB go through POST /v1/imaging/uploads first.',
  }),
  analysisStatus: declareRoute({
    method: 'GET',
    path: '/v1/imaging/analyses/{jobId}',
    ai: false,
    pathParameters: z.object({ jobId: jobIdSchema.check(z.describe('The jobId returned by POST /v1/imaging/analyses')) }),
    response: analysisJobSchema,
    notFound: 'No such job, or the job belongs to another practice',
    operationId: 'getImagingAnalysis',
    summary: 'Read the state of an imaging analysis',
    description: 'queued → running → succeeded (with findings) or failed (with a reason).',
  }),
  presignUpload: declareRoute({
    method: 'POST',
    path: '/v1/imaging/uploads',
    ai: false,
    request: uploadRequestSchema,
    response: uploadResponseSchema,
    operationId: 'createImagingUpload',
    summary: 'Get a presigned POST to upload a large radiograph',
    description: 'For images up to 25 MB: POST the image as multipart/form-data to url with the returned fields (file last), then send the uploadKey to POST /v1/imaging/analyses.',
  }),
};
