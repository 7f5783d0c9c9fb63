import { detectPhi, findPhiSpans, scrubPhi } from '../../../../functions/core/phi/scrub';

describe('scrubPhi', () => {
  it('numbers placeholders per kind and gives the same original the same placeholder', () => {
    const r = scrubPhi('This is Maria Lopez, call (512) 555-0143. Maria Lopez again; my son Liam, cell 512-555-0172.');
    expect(r.text).toBe('This is [NAME_1], call [PHONE_1]. [NAME_1] again; my son [NAME_2], cell [PHONE_2].');
    expect(r.found).toEqual([
      { kind: 'name', placeholder: '[NAME_1]' },
      { kind: 'phone', placeholder: '[PHONE_1]' },
      { kind: 'name', placeholder: '[NAME_2]' },
      { kind: 'phone', placeholder: '[PHONE_2]' },
    ]);
  });

  it('restores the originals in a model answer and leaves unknown placeholders alone', () => {
    const r = scrubPhi('Me llamo Lucía Martín, nací el 12 de abril de 1961.');
    expect(r.text).toBe('Me llamo [NAME_1], nací el [DATE_1].');
    expect(r.restore('Hola [NAME_1]: su fecha [DATE_1] consta; [NAME_2] no existe.')).toBe(
      'Hola Lucía Martín: su fecha 12 de abril de 1961 consta; [NAME_2] no existe.',
    );
  });

  it('keeps the originals out of everything but restore', () => {
    const r = scrubPhi('Patient Robert Hughes, SSN 123-45-6789, email rhughes@example.com');
    const serialised = JSON.stringify(r);
    for (const original of ['Robert', 'Hughes', '123-45-6789', 'rhughes']) expect(serialised).not.toContain(original);
    for (const finding of r.found) expect(Object.keys(finding).sort()).toEqual(['kind', 'placeholder']);
    expect(Object.isFrozen(r.found)).toBe(true);
  });

  it('numbers past placeholders the sender already wrote, so restore cannot swap them', () => {
    const r = scrubPhi('Template says [NAME_1]; I am Emily Nguyen.');
    expect(r.text).toBe('Template says [NAME_1]; I am [NAME_2].');
    expect(r.restore('[NAME_1] / [NAME_2]')).toBe('[NAME_1] / Emily Nguyen');
  });

  it('tells a fax from a phone by the word before it', () => {
    const r = scrubPhi('Front desk (210) 555-0147, fax (210) 555-0148.');
    expect(r.text).toBe('Front desk [PHONE_1], fax [FAX_1].');
  });

  it('returns the text unchanged when there is nothing to scrub', () => {
    const text = 'Crown D2740 on #14 is $1,200.00; come Tuesday at 3:30 pm.';
    const r = scrubPhi(text);
    expect(r.text).toBe(text);
    expect(r.found).toEqual([]);
    expect(r.restore('[NAME_1]')).toBe('[NAME_1]');
  });
});

describe('dates and times', () => {
  it.each([
    ['born 4/12/1961', '4/12/1961'],
    ['seen April 12 for pain', 'April 12'],
    ['nací el 12 de abril de 1961', '12 de abril de 1961'],
    ['visit 2026-11-03', '2026-11-03'],
    ['cancel the one on 12/18 please', '12/18'],
    ['implant placed March 2024', 'March 2024'],
  ])('scrubs the explicit calendar date in %j', (text, date) => {
    expect(scrubPhi(text).text).toBe(text.replace(date, '[DATE_1]'));
  });

  it.each([
    'next Tuesday at 3',
    'mañana a las 9:30',
    'since 2019',
    'in March we are busy',
    'a 3/4 crown on #30',
    'Come at 10am or 3:30 pm',
    'tomorrow at 9',
  ])('keeps %j', (text) => {
    expect(scrubPhi(text).text).toBe(text);
  });
});

describe('less common shapes', () => {
  it.each([
    ['DOB 5-Jan-1980 please', 'DOB [DATE_1] please'],
    ['call me at 555-0143 tonight', 'call me at [PHONE_1] tonight'],
    ['my cell is 5125550143', 'my cell is [PHONE_1]'],
    ['Tel. 91 234 56 78 / móvil 612345678', 'Tel. [PHONE_1] / móvil [PHONE_2]'],
    ['MEMBER ID: XZP948271635 NAME: JOHN SMITH', 'MEMBER ID: [INSURANCE_ID_1] NAME: [NAME_1]'],
    ['Me atendió la Dra. María José Pérez de la Fuente el lunes.', 'Me atendió la Dra. [NAME_1] el lunes.'],
    ['Mrs. Nguyen-Tran and Dr. van der Berg', 'Mrs. [NAME_1] and Dr. [NAME_2]'],
  ])('%j', (text, scrubbed) => {
    expect(scrubPhi(text).text).toBe(scrubbed);
  });
});

describe('clinical vocabulary', () => {
  it.each([
    'Pt presented with MOD caries on #19. Rx: Amoxicillin 500 mg TID for 7 days.',
    'Diagnosis: Class II Div 1 malocclusion, Vita Shade A2, E.max Crown planned.',
    'Seen by the Hygiene Team today. Periapical Radiolucency noted near the Mesial Root of #30.',
    'Control en Ortodoncia el Martes. Técnica Invisalign, Fase Dos. Clorhexidina al 0,12 %.',
    'BP 120/80 and 3/4 crown on tooth 3, 1/2 carpule of Septocaine.',
    'She wears an NTI Splint at night; the lab used an NSK Handpiece on #8.',
  ])('leaves %j unchanged', (text) => {
    expect(scrubPhi(text).text).toBe(text);
  });
});

describe('detectPhi', () => {
  it('names each kind found once, in order of appearance', () => {
    expect(
      detectPhi('Call 555-867-5309 or 555-123-4567, MRN 00482913, born Feb 9, 1970, portal https://x.example/p, ip 10.0.0.1'),
    ).toEqual(['phone', 'mrn', 'date', 'url', 'ip']);
    expect(detectPhi('Tooth #3 needs D3330, about $980 at 9am.')).toEqual([]);
  });

  it('reports spans as offsets only, sorted and never overlapping', () => {
    const text = 'Mr. Daniel Kim, 1423 Maple Avenue, Apt 4B, Austin, TX 78701, member ID XZP948271635';
    const spans = findPhiSpans(text);
    expect(spans.map((s) => s.kind)).toEqual(['name', 'address', 'name', 'zip', 'insurance-id']);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    expect(text.slice(spans[4]!.start, spans[4]!.end)).toBe('XZP948271635');
  });
});

describe('hostile input', () => {
  it.each([
    ['a long dotted domain', 'a@b' + '.cc'.repeat(20000) + '!'],
    ['runs of digits', '12-'.repeat(30000)],
    ['endless street particles', 'Calle ' + 'De la '.repeat(15000) + 'x'],
    ['thousands of names', 'Maria Lopez y '.repeat(8000)],
    ['brackets that look like placeholders', '[NAME_999999999999] [DATE_0] [IP_-1] '.repeat(2000)],
  ])('scrubs %s (≈100 KB) and round-trips it', (_label, text) => {
    const r = scrubPhi(text);
    expect(r.restore(r.text)).toBe(text);
  });
});
