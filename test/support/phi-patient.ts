/**
 * A patient's identifiers planted in requests by the PHI policy tests, and the check that none of
 * them reached what a provider received.
 */
import type { ReceivedRequest } from '../../local/simulator/index';

export const PATIENT = {
  name: 'Maria Gonzalez',
  dob: '04/12/1961',
  phone: '(512) 555-0142',
  email: 'maria.gonzalez@example.com',
  mrn: '4471902',
};

/** Free text naming the patient with every planted identifier. */
export const PATIENT_TEXT = `This is ${PATIENT.name}, DOB ${PATIENT.dob}, MRN ${PATIENT.mrn}. Call me at ${PATIENT.phone} or ${PATIENT.email} about my crown.`;

/** Every planted identifier and the pieces it could leak as (a first name, the digits of a phone). */
export const PLANTED = [...Object.values(PATIENT), 'Maria', 'Gonzalez', '555-0142', '5125550142', '1961'];

/** The planted identifiers found in the bodies a provider received (JSON-escaped or not). */
export function plantedIn(received: readonly ReceivedRequest[]): string[] {
  const bodies = received.map((r) => r.body).join('\n');
  return PLANTED.filter((planted) => bodies.includes(planted) || bodies.includes(JSON.stringify(planted).slice(1, -1)));
}
