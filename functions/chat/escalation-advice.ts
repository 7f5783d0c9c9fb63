/**
 * What an escalated patient is told, per emergency and language: what to do now, in plain words,
 * never a diagnosis. Emergency numbers: 911 in the US; Spanish replies also name 112, the
 * emergency number across Europe, because the platform's Spanish-speaking patients are not all
 * in the US.
 */
import type { EscalationCategory, PatientLanguage } from './escalation-rules';

export interface EscalationAdvice {
  /** Short, patient-safe reason (what we understood, not a diagnosis). */
  reason: string;
  /** What to do now. */
  advice: string;
}

export const ESCALATION_LEAD: Record<PatientLanguage, string> = {
  en: 'This may be an emergency.',
  es: 'Esto puede ser una urgencia.',
};

const EN_911 = 'call 911 (or your local emergency services) or go to the nearest emergency department';
const ES_911 = 'llame al 911 (112 en Europa) o vaya a la sala de urgencias más cercana';

export const ESCALATION_ADVICE: Record<PatientLanguage, Record<EscalationCategory, EscalationAdvice>> = {
  en: {
    airway: {
      reason: 'You describe trouble breathing or swallowing, or swelling of the throat or tongue.',
      advice: `Please ${EN_911} now. Do not wait for a dental appointment. When you are safe, call the practice to let us know.`,
    },
    'severe-allergic-reaction': {
      reason: 'You describe signs of an allergic reaction.',
      advice: `Please ${EN_911} now. If you have an epinephrine auto-injector (EpiPen), use it. Do not take more of any new medicine, and tell the emergency team what you took. Then call the practice.`,
    },
    'spreading-swelling': {
      reason: 'You describe swelling that is spreading or reaching the eye or neck.',
      advice: `Please ${EN_911} now: swelling that spreads toward the eye or neck can affect breathing. Then call the practice.`,
    },
    'uncontrolled-bleeding': {
      reason: 'You describe bleeding that is heavy or does not stop.',
      advice: `Bite firmly on a folded gauze or a damp black tea bag for 20 minutes without checking it, and keep your head raised. Call the practice now. If the bleeding is heavy or has not slowed after 20 minutes of firm pressure, ${EN_911}.`,
    },
    'jaw-or-facial-trauma': {
      reason: 'You describe an injury to the face, mouth or jaw.',
      advice: `Call the practice now. If the jaw may be broken, the mouth does not close, there was a blow to the head, there is dizziness or confusion, or breathing is affected, ${EN_911}.`,
    },
    'knocked-out-tooth': {
      reason: 'You describe a tooth that was knocked out or pushed out of place.',
      advice:
        'Call the practice now: a knocked-out adult tooth has the best chance if it is back in place within an hour. Hold it by the crown (the white part), not the root; if it is dirty, rinse it briefly with milk or water without scrubbing. ' +
        `Put it back in its socket if you can, or keep it in milk or inside the cheek. Do not put a baby tooth back. If the jaw may be broken, there was a blow to the head, or breathing is affected, ${EN_911}.`,
    },
    'fever-with-swelling': {
      reason: 'You describe swelling together with a fever.',
      advice: `Call the practice now to be seen today. If the swelling spreads toward the eye or neck, or breathing or swallowing gets hard, ${EN_911}.`,
    },
  },
  es: {
    airway: {
      reason: 'Describe dificultad para respirar o tragar, o hinchazón de la garganta o la lengua.',
      advice: `Por favor, ${ES_911} ahora mismo. No espere a una cita dental. Cuando esté a salvo, llame a la clínica para avisarnos.`,
    },
    'severe-allergic-reaction': {
      reason: 'Describe señales de una reacción alérgica.',
      advice: `Por favor, ${ES_911} ahora mismo. Si tiene un autoinyector de epinefrina (EpiPen), úselo. No tome más del medicamento nuevo y diga al equipo de emergencias qué tomó. Después llame a la clínica.`,
    },
    'spreading-swelling': {
      reason: 'Describe una hinchazón que se extiende o llega al ojo o al cuello.',
      advice: `Por favor, ${ES_911} ahora mismo: una hinchazón que se extiende hacia el ojo o el cuello puede afectar la respiración. Después llame a la clínica.`,
    },
    'uncontrolled-bleeding': {
      reason: 'Describe un sangrado abundante o que no se detiene.',
      advice: `Muerda con firmeza una gasa doblada o una bolsita de té negro húmeda durante 20 minutos sin soltarla, con la cabeza elevada. Llame ahora a la clínica. Si sangra mucho o no disminuye tras 20 minutos de presión firme, ${ES_911}.`,
    },
    'jaw-or-facial-trauma': {
      reason: 'Describe un golpe o una lesión en la cara, la boca o la mandíbula.',
      advice: `Llame ahora a la clínica. Si la mandíbula puede estar rota, la boca no cierra, hubo un golpe en la cabeza, hay mareo o confusión, o cuesta respirar, ${ES_911}.`,
    },
    'knocked-out-tooth': {
      reason: 'Describe un diente que se salió o se movió de su lugar por un golpe.',
      advice:
        'Llame ahora a la clínica: un diente permanente que se salió tiene más posibilidades si vuelve a su lugar en menos de una hora. Tómelo por la corona (la parte blanca), no por la raíz; si está sucio, enjuáguelo brevemente con leche o agua, sin frotar. ' +
        `Colóquelo de nuevo en su lugar si puede, o guárdelo en leche o dentro de la mejilla. No vuelva a colocar un diente de leche. Si la mandíbula puede estar rota, hubo un golpe en la cabeza o cuesta respirar, ${ES_911}.`,
    },
    'fever-with-swelling': {
      reason: 'Describe hinchazón junto con fiebre.',
      advice: `Llame ahora a la clínica para que le atiendan hoy. Si la hinchazón se extiende hacia el ojo o el cuello, o cuesta respirar o tragar, ${ES_911}.`,
    },
  },
};
