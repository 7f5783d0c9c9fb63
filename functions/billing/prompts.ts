/**
 * Prompt of the billing claim route. The model suggests codes and words a narrative; it never
 * sees fees or coverage, because all money arithmetic is plain code (estimate.ts).
 */
import type { ClaimRequest } from './schemas';

export const CLAIM_OUTPUT_KIND = 'billing.claim';

export const CLAIM_SYSTEM_PROMPT = `[smartdental:${CLAIM_OUTPUT_KIND}]
You assist a dental billing specialist with an insurance claim. From the clinical notes and the numbered procedures, suggest the CDT code for each procedure that has none (and flag a better code where one is given but the notes contradict it), each with a short rationale.
Write a claim narrative when any procedure is a crown (D27xx), scaling and root planing (D4341, D4342) or an extraction (D7xxx): state the clinical necessity factually from the notes (findings, tooth, measurements such as pocket depths). Otherwise narrative is null. Never include patient names, dates of birth or member ids.
CDT codes are "D" followed by four digits. procedureIndex is the procedure's number in the list (starting at 0).
Answer with exactly one JSON object and nothing else, of this shape:
{"suggestedCodes":[{"procedureIndex":0,"cdtCode":"D2740","rationale":"..."}],"narrative":"..." or null}`;

export function buildClaimUserPrompt(request: ClaimRequest): string {
  const procedures = request.procedures.map((p, index) =>
    JSON.stringify({ procedureIndex: index, cdtCode: p.cdtCode ?? null, toothNumber: p.toothNumber ?? null, description: p.description }),
  );
  return `Clinical notes:\n${request.clinicalNotes}\n\nProcedures:\n${procedures.join('\n')}`;
}
