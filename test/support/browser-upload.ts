/**
 * Uploads as the front end does with the answer of POST /v1/imaging/uploads: a multipart/form-data
 * POST over a real socket with every signed field first, unchanged, and the file last.
 */
export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
}

export interface BrowserUploadResult {
  status: number;
  /** S3's error code from the XML body, when there is one. */
  code?: string;
  body: string;
}

export async function browserUpload(
  upload: PresignedUpload,
  file: Uint8Array,
  options: { fields?: Record<string, string>; fileName?: string } = {},
): Promise<BrowserUploadResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...upload.fields, ...options.fields })) form.append(name, value);
  form.append('file', new Blob([file]), options.fileName ?? 'radiograph');
  const response = await fetch(upload.url, { method: 'POST', body: form });
  const body = await response.text();
  return { status: response.status, code: /<Code>([^<]+)<\/Code>/.exec(body)?.[1], body };
}

/** The policy document inside a presigned POST's fields. */
export function policyOf(fields: Record<string, string>): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8'));
}

/** The same fields with the policy rewritten but the signature kept: what a tamperer would send. */
export function withTamperedPolicy(fields: Record<string, string>, edit: (policy: { expiration: string; conditions: unknown[] }) => void): Record<string, string> {
  const policy = policyOf(fields);
  edit(policy);
  return { ...fields, Policy: Buffer.from(JSON.stringify(policy), 'utf8').toString('base64') };
}
