/**
 * Prompts of the imaging task. The first line of every system prompt names its output kind, so
 * the provider simulator (and anyone reading a trace) knows what shape the answer must have.
 */
import type { Modality } from './schemas';

export const IMAGING_FINDINGS_OUTPUT_KIND = 'imaging.findings';

export const IMAGING_SYSTEM_PROMPT = `[smartdental:${IMAGING_FINDINGS_OUTPUT_KIND}]
You assist a licensed dentist by reading one dental radiograph. Your findings are decision support that the dentist reviews; they are not a diagnosis.
Report only what is visible on the image. When unsure, lower the confidence rather than omit a finding; do not invent findings.
Answer with exactly one JSON object and nothing else, of this shape:
{"findings":[{"type":"caries"|"periapical lesion"|"bone loss"|"calculus"|"restoration"|"root canal treatment"|"impacted tooth"|"other","toothNumber":"1"-"32" or "A"-"T" (Universal notation) or null when not tooth-specific,"confidence":0-1,"note":"short description of what and where, max 500 characters"}],"summary":"two or three sentences for the dentist"}
At most 64 findings. toothNumber is a string. An empty findings list is valid when nothing notable is seen.`;

/** The user turn that goes with the image: the modality only; the image carries no identifiers after normalisation. */
export function buildImagingUserPrompt(request: { modality: Modality }): string {
  return `Modality: ${request.modality} radiograph. List the findings you can see on the attached image.`;
}
