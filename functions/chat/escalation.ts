/**
 * Emergency detection for the patient chat, in plain code and before any model is asked: a
 * patient describing an emergency must be told to call, whatever a model would have said and
 * even when every provider is down.
 *
 * The patterns are conservative in the safe direction: they fire on plain descriptions of the
 * four emergencies the practice names, and stand down only on an explicit negation close to the
 * symptom ("no fever", "not having trouble breathing").
 */
import type { ChatMessage } from './schemas';

export type EscalationReasonCode = 'airway' | 'bleeding' | 'trauma' | 'facial-swelling-with-fever';

export interface EscalationDecision {
  escalate: boolean;
  reasonCode?: EscalationReasonCode;
  /** Short, patient-safe reason (no diagnosis). */
  reason?: string;
  advice?: string;
}

interface Rule {
  code: EscalationReasonCode;
  reason: string;
  advice: string;
  matches: (text: string) => boolean;
}

const CALL_911 = 'Call emergency services (911 in the US) now, or go to the nearest emergency department.';

/** Words that, shortly before a symptom in the same sentence, say the patient does not have it. */
const NEGATION = /\b(?:no|not|never|without|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t|haven'?t|hasn'?t|can'?t say|denies|nor)\b[^.!?;]{0,25}$/i;

/** True when `pattern` occurs in `text` at least once without a negation just before it. */
function affirmed(text: string, pattern: RegExp): boolean {
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const match of text.matchAll(global)) {
    const before = text.slice(Math.max(0, match.index - 40), match.index);
    if (!NEGATION.test(before)) return true;
  }
  return false;
}

const AIRWAY = [
  /\b(?:trouble|difficulty|difficult|hard|struggling|problems?|unable|can'?t|cannot|couldn'?t|can not)\s+(?:to\s+)?(?:breath(?:e|ing)?|swallow(?:ing)?)\b/i,
  /\bshort(?:ness)? of breath\b/i,
  /\b(?:throat|airway)\s+(?:is\s+|feels\s+)?(?:closing|swelling shut|tight(?:ening)?)\b/i,
  /\b(?:choking|gasping)\b/i,
];

const BLEEDING = [
  /\bbleed(?:ing|s)?\b[^.!?]{0,40}\b(?:won'?t|will not|doesn'?t|does not|isn'?t|hasn'?t|has not|can'?t|cannot|not)\s+(?:stop|stopping|slow(?:ing)?)/i,
  /\b(?:won'?t|will not|doesn'?t|does not|hasn'?t|has not|didn'?t)\s+stop(?:ped)?\s+bleeding\b/i,
  /\b(?:can'?t|cannot|unable to)\s+(?:get\s+(?:it|the bleeding)\s+to\s+)?stop\s+(?:the\s+)?bleed/i,
  /\b(?:uncontrolled|heavy|heavily|severe|profuse|profusely|lots of|a lot of)\s+(?:bleeding|blood)\b/i,
  /\bbleeding\s+(?:heavily|a lot|profusely|badly|everywhere)\b/i,
  /\b(?:soak(?:ed|ing)?|through)\s+(?:the\s+)?gauze\b/i,
];

const TRAUMA = [
  // "knocked", not "fell out": baby teeth and fillings fall out every day.
  /\bknocked\s+(?:\w+\s+){0,3}?out\b[^.!?]{0,30}\b(?:tooth|teeth)\b|\b(?:tooth|teeth)\b[^.!?]{0,30}\bknocked\s+(?:out|loose)\b/i,
  /\bknocked[- ]out\b/i,
  /\bavulsed\b/i,
  /\b(?:broken|fractured|broke|dislocated)\s+(?:my\s+|his\s+|her\s+|their\s+)?jaw\b|\bjaw\b[^.!?]{0,20}\b(?:broken|fractured|dislocated)\b/i,
  /\b(?:hit|punched|kicked|struck|elbowed)\s+(?:me\s+)?(?:in|on)\s+the\s+(?:face|mouth|jaw|teeth)\b/i,
  /\b(?:accident|crash|fell (?:down|over|off|on)|had a fall|fight|assault(?:ed)?)\b[^.!?]{0,60}\b(?:face|mouth|jaw|teeth|tooth)\b/i,
  /\b(?:face|mouth|jaw|teeth|tooth)\b[^.!?]{0,60}\b(?:accident|crash|fell (?:down|over|off|on)|had a fall|fight|assault(?:ed)?)\b/i,
];

const SWELLING = [
  /\b(?:face|facial|cheek|cheeks|jaw|eye|under my eye|neck|chin)\b[^.!?]{0,40}\b(?:swollen|swelling|swell(?:s|ed)?|puff(?:y|ed up)|bloated)\b/i,
  /\b(?:swollen|swelling|swell(?:s|ed)?|puffy)\b[^.!?]{0,40}\b(?:face|facial|cheek|cheeks|jaw|eye|neck|chin)\b/i,
];

const FEVER = [/\b(?:fever|feverish|febrile|chills|high temperature|temperature of (?:10[0-5]|3[89]))\b/i];

const RULES: Rule[] = [
  {
    code: 'airway',
    reason: 'You describe trouble breathing or swallowing.',
    advice: `${CALL_911} Trouble breathing or swallowing needs help right away.`,
    matches: (text) => AIRWAY.some((p) => affirmed(text, p)),
  },
  {
    code: 'bleeding',
    reason: 'You describe bleeding that does not stop.',
    advice: `Press a folded gauze or a damp tea bag firmly on the area and keep the pressure on. If the bleeding is heavy or has not slowed after 15–20 minutes of pressure, ${CALL_911.charAt(0).toLowerCase()}${CALL_911.slice(1)} Otherwise call the practice right away.`,
    matches: (text) => BLEEDING.some((p) => affirmed(text, p)),
  },
  {
    code: 'trauma',
    reason: 'You describe an injury to the mouth, teeth or jaw.',
    advice:
      'Call the practice right away. If a permanent tooth was knocked out, hold it by the crown (not the root), keep it moist in milk or inside your cheek, and come in within the hour. ' +
      `If the jaw may be broken, there was a blow to the head, or breathing is affected: ${CALL_911}`,
    matches: (text) => TRAUMA.some((p) => affirmed(text, p)),
  },
  {
    code: 'facial-swelling-with-fever',
    reason: 'You describe facial swelling together with a fever.',
    advice: `Call the practice right away to be seen today. If the swelling spreads toward your eye or neck, or you have trouble breathing or swallowing: ${CALL_911}`,
    matches: (text) => SWELLING.some((p) => affirmed(text, p)) && FEVER.some((p) => affirmed(text, p)),
  },
];

/**
 * Checks the patient's own messages (the assistant's are ignored: they may quote symptoms back)
 * and returns the most serious emergency described, in the order airway, bleeding, trauma,
 * swelling with fever. Earlier messages count too, so "my face is swollen" followed later by
 * "now I have a fever" still escalates.
 */
export function detectEmergency(messages: ReadonlyArray<Pick<ChatMessage, 'role' | 'content'>>): EscalationDecision {
  const text = messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content.replace(/[’‘]/g, "'"))
    .join('\n. ');
  for (const rule of RULES) {
    if (rule.matches(text)) return { escalate: true, reasonCode: rule.code, reason: rule.reason, advice: rule.advice };
  }
  return { escalate: false };
}
