import { detectEmergency } from '../../../functions/chat/escalation';

const user = (content: string) => [{ role: 'user' as const, content }];

describe('detectEmergency: positives', () => {
  it.each([
    ['My whole face is swollen and I have a fever of 102', 'facial-swelling-with-fever'],
    ['Swelling in my cheek since yesterday, now feverish and chills', 'facial-swelling-with-fever'],
    ["I can't breathe properly since my jaw swelled up", 'airway'],
    ['It is hard to swallow and my throat feels tight', 'airway'],
    ['having difficulty breathing after the extraction', 'airway'],
    ["The extraction site won't stop bleeding", 'bleeding'],
    ['Bleeding that hasn’t stopped for two hours', 'bleeding'],
    ['there is heavy bleeding from my gum', 'bleeding'],
    ['I have soaked through the gauze three times', 'bleeding'],
    ['My son got his front tooth knocked out at football', 'trauma'],
    ['A tooth was knocked loose when I fell off my bike and hit the curb', 'trauma'],
    ['I think I broke my jaw', 'trauma'],
    ['My jaw might be fractured', 'trauma'],
    ['I got punched in the mouth last night', 'trauma'],
    ['car accident, my teeth hit the steering wheel', 'trauma'],
  ])('%s → %s', (text, code) => {
    const decision = detectEmergency(user(text));
    expect(decision).toMatchObject({ escalate: true, reasonCode: code });
    expect(decision.advice).toMatch(/call/i);
    expect(decision.reason).toBeTruthy();
  });

  it('combines swelling and fever told in separate messages', () => {
    const decision = detectEmergency([
      { role: 'user', content: 'My cheek is really swollen around a back tooth.' },
      { role: 'assistant', content: 'I am sorry to hear that. Do you have any other symptoms?' },
      { role: 'user', content: 'Now I have a fever too.' },
    ]);
    expect(decision).toMatchObject({ escalate: true, reasonCode: 'facial-swelling-with-fever' });
  });

  it('ranks trouble breathing above the other emergencies', () => {
    expect(detectEmergency(user('My face is swollen, I have a fever, and I have trouble swallowing')).reasonCode).toBe('airway');
  });

  it('tells the patient to call emergency services for airway problems', () => {
    expect(detectEmergency(user('I am struggling to breathe')).advice).toMatch(/emergency services/);
  });
});

describe('detectEmergency: negatives', () => {
  it.each([
    'How much does a cleaning cost?',
    'Can I book a check-up next Tuesday?',
    'My gums bleed a little when I brush',
    'My face is a bit swollen after the filling but I have no fever',
    'I have a slight fever from a cold, and my tooth is sensitive to cold drinks',
    "I'm not having any trouble breathing or swallowing, just a sore tooth",
    'My filling fell out of my tooth yesterday',
    "My daughter's baby tooth fell out, is that normal?",
    'I broke a nail opening the toothpaste',
    'My jaw clicks when I chew',
    'Does whitening hurt?',
  ])('%s → no escalation', (text) => {
    expect(detectEmergency(user(text))).toEqual({ escalate: false });
  });

  it("ignores the assistant's own words", () => {
    expect(
      detectEmergency([
        { role: 'user', content: 'What counts as an emergency?' },
        { role: 'assistant', content: 'For example uncontrolled bleeding, trouble breathing, or a knocked-out tooth.' },
        { role: 'user', content: 'Thanks, none of that here. Can I book a cleaning?' },
      ]),
    ).toEqual({ escalate: false });
  });
});
