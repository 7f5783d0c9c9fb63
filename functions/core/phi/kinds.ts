/**
 * The HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)) the scrubber finds in dental free
 * text, and the placeholder tag each one is replaced by.
 */
export const PHI_KINDS = [
  'name',
  'phone',
  'fax',
  'email',
  'address',
  'zip',
  'date',
  'ssn',
  'mrn',
  'insurance-id',
  'url',
  'ip',
] as const;

export type PhiKind = (typeof PHI_KINDS)[number];

/** `[NAME_1]`, `[INSURANCE_ID_2]`, … */
export const PLACEHOLDER_TAG: Readonly<Record<PhiKind, string>> = {
  name: 'NAME',
  phone: 'PHONE',
  fax: 'FAX',
  email: 'EMAIL',
  address: 'ADDRESS',
  zip: 'ZIP',
  date: 'DATE',
  ssn: 'SSN',
  mrn: 'MRN',
  'insurance-id': 'INSURANCE_ID',
  url: 'URL',
  ip: 'IP',
};

/** Where an identifier sits in the text: offsets only, never the identifier itself. */
export interface PhiSpan {
  readonly kind: PhiKind;
  readonly start: number;
  readonly end: number;
}
