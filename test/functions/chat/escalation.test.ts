/**
 * The escalation classifier case by case: negation that governs only its own clause, category
 * assignment and its priority, earlier turns as context only, language of the advice.
 * The labelled corpus (recall and false positives) is in escalation-corpus.test.ts.
 */
import { compilePhrase, detectEmergency, detectLanguage } from '../../../functions/chat/escalation';
import { LANGUAGES } from '../../../functions/chat/escalation-rules';

const user = (content: string) => [{ role: 'user' as const, content }];
const categoryOf = (content: string) => detectEmergency(user(content)).category;

describe('negation governs only its own clause', () => {
  it.each([
    ["I don't know why but I can't breathe", 'airway'],
    ['No fever, but the swelling is spreading to my eye', 'spreading-swelling'],
    ['I have no fever and the swelling is going up to my eye', 'spreading-swelling'],
    ["Not sure if it matters, my son's tooth got knocked out", 'knocked-out-tooth'],
    ["I don't want to bother you but the bleeding won't stop", 'uncontrolled-bleeding'],
    ['no no no I cannot breathe', 'airway'],
    ['No sé por qué pero no puedo respirar', 'airway'],
    ['No tengo fiebre, pero la hinchazón ya llega al ojo', 'spreading-swelling'],
    ['It doesnt hurt much and now I can barely swallow', 'airway'],
  ])('%s → %s', (text, category) => {
    expect(categoryOf(text)).toBe(category);
  });

  it.each([
    'No swelling and no trouble breathing',
    'I have no swelling or trouble breathing, just a sore tooth',
    "I'm not having any trouble breathing or swallowing",
    'The swelling is not spreading and it is nowhere near my eye',
    "It isn't bleeding heavily, just a little pink in my spit",
    'No tengo hinchazón ni problemas para respirar',
    'No me cuesta respirar, solo me duele la muela',
    'La hinchazón no se extiende, está igual que ayer',
    'My face is a bit swollen after the filling but I have no fever',
  ])('%s → no escalation', (text) => {
    expect(detectEmergency(user(text)).escalate).toBe(false);
  });

  it('does not let a gap in a phrase skip a negation', () => {
    expect(categoryOf("The swelling isn't spreading to my eye")).toBeUndefined();
    expect(categoryOf('The swelling is spreading to my eye')).toBe('spreading-swelling');
  });
});

describe('category assignment', () => {
  it.each([
    ['My throat is closing up', 'airway'],
    ['I can barely swallow my own spit', 'airway'],
    ['my tongue is getting huge since the injection', 'airway'],
    ['I think I am having an allergic reaction to the amoxicillin', 'severe-allergic-reaction'],
    ['I broke out in hives after the numbing shot and my lips are swelling', 'severe-allergic-reaction'],
    ['The swelling has spread to my neck', 'spreading-swelling'],
    ['my eye is swollen shut from the tooth infection', 'spreading-swelling'],
    ['The extraction site won’t stop bleeding', 'uncontrolled-bleeding'],
    ['the blood wont clot after my extraction', 'uncontrolled-bleeding'],
    ['I have soaked through the gauze three times', 'uncontrolled-bleeding'],
    ['I think I broke my jaw', 'jaw-or-facial-trauma'],
    ['car accident, my teeth hit the steering wheel', 'jaw-or-facial-trauma'],
    ['My son knocked out his front tooth at football', 'knocked-out-tooth'],
    ['His tooth came out when he fell off the trampoline', 'knocked-out-tooth'],
    ['My face is really swollen on one side and I have a fever of 39', 'fever-with-swelling'],
    ['Se me está cerrando la garganta', 'airway'],
    ['A mi hijo le tumbaron un diente jugando futbol', 'knocked-out-tooth'],
    ['Me sangra la encía y no para de sangrar', 'uncontrolled-bleeding'],
    ['tengo la cara hinchada y fiebre de 39', 'fever-with-swelling'],
  ])('%s → %s', (text, category) => {
    const decision = detectEmergency(user(text));
    expect(decision).toMatchObject({ escalate: true, category });
    expect(decision.reason).toBeTruthy();
    expect(decision.reply).toContain(decision.advice);
  });

  it('reports the most serious emergency when several apply', () => {
    expect(categoryOf('My face is swollen, I have a fever, and I have trouble swallowing')).toBe('airway');
    expect(categoryOf('I fell and knocked out a tooth and it is bleeding and won’t stop')).toBe('uncontrolled-bleeding');
  });

  it('treats a baby tooth that falls out by itself as no emergency, and one knocked out as one', () => {
    expect(detectEmergency(user("My daughter's baby tooth fell out, is that normal?")).escalate).toBe(false);
    expect(categoryOf('my daughter fell at the playground and her baby tooth came out')).toBe('knocked-out-tooth');
  });

  it('escalates a question about an emergency too (documented policy: when in doubt, escalate)', () => {
    expect(categoryOf('What should I do if a tooth gets knocked out?')).toBe('knocked-out-tooth');
    expect(detectEmergency(user('What counts as a dental emergency?')).escalate).toBe(false);
  });

  it('does not let "gone" stand down a tooth that is out or the fall that knocked it out', () => {
    expect(categoryOf('her tooth is gone after she fell')).toBe('knocked-out-tooth');
    expect(detectEmergency([...user('my son fell at the park'), ...user("his front tooth is gone, it's an adult one")]).category).toBe('knocked-out-tooth');
    expect(detectEmergency(user('the pain in my tooth is gone, thanks')).escalate).toBe(false);
  });

  it('reads a dentist taking a tooth out, or a count of years, as no emergency', () => {
    expect(detectEmergency(user('me sacaron una muela ayer, ¿cuándo puedo comer?')).escalate).toBe(false);
    expect(detectEmergency(user('hace dos años me sacaron una muela y se me hinchó la cara, ahora solo quiero una limpieza')).escalate).toBe(false);
    expect(categoryOf('me sacaron un diente de un golpe')).toBe('knocked-out-tooth');
  });

  it('reads swelling named in one clause as spreading when the next says so', () => {
    expect(categoryOf("the swelling isn't going down, it's actually spreading to my other cheek")).toBe('spreading-swelling');
    expect(categoryOf('se me hinchó la cara y no para de crecer')).toBe('spreading-swelling');
    expect(detectEmergency(user('the swelling is not spreading, it is the same as yesterday')).escalate).toBe(false);
    expect(detectEmergency(user('I have a swollen gland under my ear from a cold')).escalate).toBe(false);
  });

  it('takes back only the match an except phrase overlaps, not the rest of its clause', () => {
    expect(detectEmergency(user('big pills are hard to swallow, is there a liquid one?')).escalate).toBe(false);
    expect(detectEmergency(user('me cuesta tragar las pastillas grandes')).escalate).toBe(false);
    expect(categoryOf("the pills are hard to swallow and I can't breathe")).toBe('airway');
    expect(categoryOf('las pastillas son difíciles de tragar y no puedo respirar')).toBe('airway');
  });

  it('reads a jaw that will not open, a bite that is off or a numb chin as trauma only after a blow', () => {
    expect(categoryOf("my kid fell and now he can't open his mouth")).toBe('jaw-or-facial-trauma');
    expect(categoryOf('me caí y no puedo abrir la boca')).toBe('jaw-or-facial-trauma');
    expect(detectEmergency(user('my bite feels off after the filling')).escalate).toBe(false);
    expect(detectEmergency(user('my chin is numb after the wisdom tooth extraction')).escalate).toBe(false);
  });

  it('reads how long a bleeding has gone on, not when something happened', () => {
    expect(categoryOf("there is blood in my mouth, it's been 5 hours")).toBe('uncontrolled-bleeding');
    expect(categoryOf('sangra desde hace cinco horas')).toBe('uncontrolled-bleeding');
    expect(detectEmergency(user('the extraction was 5 hours ago and it is bleeding a little')).escalate).toBe(false);
    expect(detectEmergency(user('la extracción fue hace 5 horas y sangra un poquito')).escalate).toBe(false);
  });
});

describe('stories, dated past events and baby teeth', () => {
  it('stands down for a character in a show the message names, not for the patient watching one', () => {
    expect(detectEmergency(user('saw an episode last night where a guy got his tooth knocked out, could that happen with braces?')).escalate).toBe(false);
    expect(detectEmergency(user('en la serie a una señora se le hinchó la cara hasta el ojo, ¿eso pasa de verdad?')).escalate).toBe(false);
    expect(categoryOf('I was watching a movie and now my throat is closing')).toBe('airway');
    expect(categoryOf('watching TV with my son and his face swelled up to his eye')).toBe('spreading-swelling');
    // Without a show named, "a patient" is whoever the writer cares for.
    expect(categoryOf('the patient I look after cannot breathe')).toBe('airway');
  });

  it('reads a past year or season as the past, unless the clause also says now', () => {
    expect(detectEmergency(user('I broke my jaw in a bike accident in 2018, can I still get implants?')).escalate).toBe(false);
    expect(detectEmergency(user('el verano pasado le tumbaron un diente jugando futbol, ¿cuándo le ponemos el implante?')).escalate).toBe(false);
    expect(categoryOf('I had a root canal in 2019 and today the swelling is going into my neck')).toBe('spreading-swelling');
  });

  it('escalates a baby tooth knocked out by a blow unless the message says the child barely bled or is playing', () => {
    expect(categoryOf('my son fell off his scooter and knocked out a baby tooth')).toBe('knocked-out-tooth');
    expect(detectEmergency(user('my son fell off his scooter and knocked out a baby tooth, barely bled and he is back to playing')).escalate).toBe(false);
    expect(detectEmergency(user('se cayó de la bici y se le salió un diente de leche, casi no sangró y ya está jugando')).escalate).toBe(false);
    expect(categoryOf('se cayó de la bici, se le salió un diente de leche y no para de sangrar')).toBe('uncontrolled-bleeding');
    expect(detectEmergency(user('his baby tooth is hanging by a thread, can I pull it?')).escalate).toBe(false);
    // A baby tooth stands down only itself: an adult tooth in the same message still escalates.
    expect(categoryOf("it's not a baby tooth, his front tooth got knocked out at hockey")).toBe('knocked-out-tooth');
  });

  it('escalates bleeding still going on in a patient on a blood thinner, not the question before an extraction', () => {
    expect(categoryOf("I'm on Eliquis and the socket is still oozing blood")).toBe('uncontrolled-bleeding');
    expect(categoryOf('mi papá toma Sintrom y sigue sangrando de la encía')).toBe('uncontrolled-bleeding');
    expect(detectEmergency(user('I take warfarin, will I bleed a lot after the extraction?')).escalate).toBe(false);
    expect(detectEmergency(user('the socket is still oozing a little, is that normal?')).escalate).toBe(false);
  });

  it('reads the decimal of a temperature, not of other measures', () => {
    expect(categoryOf('puffy cheek and 38.9 under the arm')).toBe('fever-with-swelling');
    expect(categoryOf('cachete hinchado y 38,7')).toBe('fever-with-swelling');
    expect(detectEmergency(user("I'm 38.5 weeks pregnant and my gums are swollen")).escalate).toBe(false);
  });
});

describe('hostile input', () => {
  // No time is asserted (speed goals belong to the benchmark). What bounds the work is the shape of
  // the phrases: a gap (`~N`) is a bounded repetition, and only two gaps with no word between them
  // (or a long run of gaps) could make a regex try many ways of splitting the same words.
  it('keeps every phrase of every table free of side-by-side gaps, with at most 12 skipped words', () => {
    const unbounded: string[] = [];
    for (const table of Object.values(LANGUAGES)) {
      const phrases = [
        ...Object.values(table.features),
        ...Object.values(table.cancels),
        ...Object.values(table.excepts ?? {}),
        table.negations, table.notNegations, table.history, table.present, table.resolved, table.clauseBreaks, table.fiction, table.characters, table.self,
      ].flat() as string[];
      for (const phrase of phrases) {
        const slots = phrase.trim().split(/\s+/);
        const gap = (slot: string | undefined) => Number(/^~~?(\d+)$/.exec(slot ?? '')?.[1] ?? 0);
        // An optional slot may match nothing, so it does not separate the gaps around it.
        const words = slots.filter((slot) => !(slot.startsWith('[') && slot.endsWith(']')));
        const sideBySide = words.some((slot, i) => gap(slot) > 0 && gap(words[i + 1]) > 0);
        if (sideBySide || slots.reduce((sum, slot) => sum + gap(slot), 0) > 12) unbounded.push(phrase);
      }
    }
    expect(unbounded).toEqual([]);
  });

  const words = ['swelling', 'spreading', 'no', 'and', 'tooth', 'knocked', 'out', 'baby', 'a', 'patient', 'episode', 'in', '2019', 'hinchado', 'hasta', 'el', 'ojo', 'de', 'leche', '38.9', 'fell', 'blood', 'keeps', 'cant', 'breathe'];
  const largest = (pick: (i: number) => string) => {
    let text = '';
    for (let i = 0; text.length < 3990; i++) text += `${pick(i)} `;
    return text.slice(0, 4000);
  };
  it.each([
    ['one table word repeated', largest(() => 'swelling')],
    ['negations only', largest(() => 'no')],
    ['table words cycled', largest((i) => words[i % words.length]!)],
    ['table words without spaces', 'swellingspreading'.repeat(235)],
    ['one clause of gap words', largest((i) => (i % 2 ? 'the' : 'my'))],
  ])('decides on 4,000 characters of %s', (_name, text) => {
    expect(text.length).toBeLessThanOrEqual(4000);
    const decision = detectEmergency(Array.from({ length: 11 }, () => ({ role: 'user' as const, content: text })));
    expect(typeof decision.escalate).toBe('boolean');
    expect(['en', 'es']).toContain(decision.language);
  });
});

describe('earlier turns are context only', () => {
  it('combines swelling and fever told in separate messages', () => {
    const decision = detectEmergency([
      { role: 'user', content: 'My cheek is really swollen around a back tooth.' },
      { role: 'assistant', content: 'I am sorry to hear that. Do you have any other symptoms?' },
      { role: 'user', content: 'Now I have a fever too.' },
    ]);
    expect(decision).toMatchObject({ escalate: true, category: 'fever-with-swelling' });
  });

  it('does not escalate a later ordinary question for an earlier emergency', () => {
    const decision = detectEmergency([
      { role: 'user', content: 'My tooth got knocked out' },
      { role: 'assistant', content: 'Please call the practice now.' },
      { role: 'user', content: 'We are on our way, where do we park?' },
    ]);
    expect(decision.escalate).toBe(false);
  });

  it("ignores the assistant's own words", () => {
    const decision = detectEmergency([
      { role: 'user', content: 'What counts as an emergency?' },
      { role: 'assistant', content: 'For example uncontrolled bleeding, trouble breathing, or a knocked-out tooth.' },
      { role: 'user', content: 'Thanks, none of that here. Can I book a cleaning?' },
    ]);
    expect(decision.escalate).toBe(false);
  });
});

describe('advice in the language the patient wrote in', () => {
  it('tells an English speaker to call 911 for airway, spreading swelling and allergic reactions', () => {
    for (const text of ['I am struggling to breathe', 'the swelling is spreading down my neck', 'I think I am having an allergic reaction']) {
      const decision = detectEmergency(user(text));
      expect(decision.language).toBe('en');
      expect(decision.advice).toMatch(/call 911/i);
    }
  });

  it('tells an English speaker with a knocked-out tooth to call the practice now', () => {
    expect(detectEmergency(user('my tooth got knocked out')).advice).toMatch(/^Call the practice now/);
  });

  it('answers Spanish, with or without accents, in Spanish with 911 and 112', () => {
    for (const text of ['Mi hijo no puede respirar bien, tiene la cara muy hinchada', 'mi hijo no puede respirar bien tiene la cara muy hinchada']) {
      const decision = detectEmergency(user(text));
      expect(decision).toMatchObject({ escalate: true, language: 'es', category: 'airway' });
      expect(decision.advice).toMatch(/llame al 911 \(112 en Europa\)/);
      expect(decision.reply).toMatch(/^Esto puede ser una urgencia/);
    }
  });

  it('detects the language from the latest message', () => {
    expect(detectLanguage('¿Cuánto cuesta una limpieza?')).toBe('es');
    expect(detectLanguage('cuanto cuesta una limpieza')).toBe('es');
    expect(detectLanguage('How much is a cleaning?')).toBe('en');
  });
});

describe('normalisation and typos', () => {
  it.each([
    ['I cant brethe', 'airway'],
    ['my face is sweeling up to my eye', 'spreading-swelling'],
    ['the bleading wont stopp', 'uncontrolled-bleeding'],
    ['my throaaat is closinggg', 'airway'],
    ['my sons tooth got nocked out', 'knocked-out-tooth'],
    ['tengo la cara inchada y fievre', 'fever-with-swelling'],
    ['NO PUEDO RESPIRAR', 'airway'],
  ])('%s → %s', (text, category) => {
    expect(categoryOf(text)).toBe(category);
  });

  it('leaves real words near a table word alone', () => {
    expect(detectEmergency(user('I was cooking and my tooth started hurting')).escalate).toBe(false);
    expect(detectEmergency(user('my breath is smelling bad and my gum is a bit swollen')).escalate).toBe(false);
  });

  it('lets only the phrases written with ~~ run across an "and"', () => {
    expect(categoryOf("it's bleeding and it won't stop")).toBe('uncontrolled-bleeding');
    expect(detectEmergency(user('I have a sore throat and swollen gums')).escalate).toBe(false);
  });

  it('rejects an unknown macro in the rules', () => {
    expect(() => compilePhrase('@NOPE ~2 eye')).toThrow(/unknown macro @NOPE/);
  });
});
