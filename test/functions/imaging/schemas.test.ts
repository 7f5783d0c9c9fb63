import { z } from 'zod';
import * as imaging from '../../../functions/imaging/schemas';
import * as clinical from '../../../functions/clinical/schemas';
import * as billing from '../../../functions/billing/schemas';
import * as scheduling from '../../../functions/scheduling/schemas';
import * as chat from '../../../functions/chat/schemas';
import { errorBodySchema } from '../../../functions/core/error-body';

/** Every route schema, as the OpenAPI generator will use them. */
const ROUTE_SCHEMAS: Record<string, z.core.$ZodType> = {
  AnalysisRequest: imaging.analysisRequestSchema,
  AnalysisAccepted: imaging.analysisAcceptedSchema,
  AnalysisJob: imaging.analysisJobSchema,
  UploadRequest: imaging.uploadRequestSchema,
  UploadResponse: imaging.uploadResponseSchema,
  ImagingFindings: imaging.findingsModelOutputSchema,
  DiagnosesRequest: clinical.diagnosesRequestSchema,
  DiagnosesResponse: clinical.diagnosesResponseSchema,
  ClinicalDiagnosesModelOutput: clinical.diagnosesModelOutputSchema,
  TreatmentPlanRequest: clinical.treatmentPlanRequestSchema,
  TreatmentPlanResponse: clinical.treatmentPlanResponseSchema,
  ClinicalTreatmentPlanModelOutput: clinical.treatmentPlanModelOutputSchema,
  EstimateRequest: billing.estimateRequestSchema,
  EstimateResponse: billing.estimateResponseSchema,
  ClaimRequest: billing.claimRequestSchema,
  ClaimResponse: billing.claimResponseSchema,
  BillingClaimModelOutput: billing.claimModelOutputSchema,
  SlotsRequest: scheduling.slotsRequestSchema,
  SlotsResponse: scheduling.slotsResponseSchema,
  ReminderRequest: scheduling.reminderRequestSchema,
  ReminderResponse: scheduling.reminderResponseSchema,
  SchedulingReminderModelOutput: scheduling.reminderModelOutputSchema,
  ChatRequest: chat.chatRequestSchema,
  ChatResponse: chat.chatResponseSchema,
  ErrorBody: errorBodySchema,
};

describe('route schemas as JSON Schema (OpenAPI 3.1)', () => {
  it.each(Object.entries(ROUTE_SCHEMAS))('%s converts, carries its id and forbids extra properties', (id, schema) => {
    for (const io of ['input', 'output'] as const) {
      const json = z.toJSONSchema(schema, { io }) as { $ref?: string; $defs?: Record<string, { additionalProperties?: unknown; type?: string }> };
      expect(json.$ref).toBe(`#/$defs/${id}`);
      const root = json.$defs![id]!;
      expect(root.type).toBe('object');
      expect(root.additionalProperties).toBe(false);
    }
  });

  it('bounds strings and arrays so huge bodies are rejected', () => {
    const json = JSON.stringify(z.toJSONSchema(chat.chatRequestSchema));
    expect(json).toContain('"maxItems":50');
    expect(json).toContain('"maxLength":4000');
    expect(JSON.stringify(z.toJSONSchema(imaging.analysisRequestSchema))).toMatch(/"maxLength":\d{7}/);
  });

  it('tells callers in the clinical schema that identifiers must not be sent', () => {
    const json = z.toJSONSchema(clinical.diagnosesRequestSchema) as { $defs: Record<string, { description?: string }> };
    expect(json.$defs.DiagnosesRequest!.description).toMatch(/Do not send patient identifiers/);
    expect(Object.keys(clinical.diagnosesRequestSchema.shape)).not.toEqual(expect.arrayContaining(['patientName']));
  });
});

describe('analysisRequestSchema', () => {
  const image = { contentType: 'image/png', dataBase64: 'iVBORw0KGgo=' };
  it('takes an inline image or an uploadKey', () => {
    expect(imaging.analysisRequestSchema.safeParse({ modality: 'bitewing', image }).success).toBe(true);
    expect(imaging.analysisRequestSchema.safeParse({ modality: 'panoramic', uploadKey: 'uploads/p1/abc.png' }).success).toBe(true);
  });

  it.each([
    ['both', { modality: 'bitewing', image, uploadKey: 'uploads/x' }, /exactly one/],
    ['neither', { modality: 'bitewing' }, /exactly one/],
    ['an unknown modality', { modality: 'cbct', image }, /modality|Invalid option/],
    ['a path-traversal key', { modality: 'bitewing', uploadKey: '../other-practice/x' }, /uploadKey/],
    ['non-base64 data', { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: 'not base64!' } }, /base64/],
    ['an unsupported declared type', { modality: 'bitewing', image: { contentType: 'image/gif', dataBase64: 'R0lG' } }, /Invalid option/],
    ['an extra field', { modality: 'bitewing', image, patientName: 'x' }, /Unrecognized key/],
  ])('rejects %s', (_name, body, message) => {
    const result = imaging.analysisRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')).toMatch(message);
  });

  it('leaves the inline size limit to the intake (a 413), not to a schema issue (a 400)', () => {
    const dataBase64 = 'A'.repeat(imaging.INLINE_BASE64_MAX_CHARS + 4);
    expect(imaging.analysisRequestSchema.safeParse({ modality: 'bitewing', image: { contentType: 'image/jpeg', dataBase64 } }).success).toBe(true);
  });

  it('limits uploads to 25 MB', () => {
    expect(imaging.uploadRequestSchema.safeParse({ contentType: 'application/dicom', sizeBytes: imaging.UPLOAD_MAX_BYTES }).success).toBe(true);
    expect(imaging.uploadRequestSchema.safeParse({ contentType: 'application/dicom', sizeBytes: imaging.UPLOAD_MAX_BYTES + 1 }).success).toBe(false);
  });

  it('checks model findings: types, Universal teeth or null, confidence 0–1', () => {
    const ok = { findings: [{ type: 'caries', toothNumber: '3', confidence: 0.8, note: 'distal' }, { type: 'other', toothNumber: null, confidence: 0, note: '' }], summary: 's' };
    expect(imaging.findingsModelOutputSchema.safeParse(ok).success).toBe(true);
    for (const bad of [{ type: 'fracture' }, { toothNumber: '33' }, { toothNumber: 3 }, { confidence: 1.2 }]) {
      const findings = [{ ...ok.findings[0], ...bad }];
      expect(imaging.findingsModelOutputSchema.safeParse({ ...ok, findings }).success).toBe(false);
    }
  });
});
