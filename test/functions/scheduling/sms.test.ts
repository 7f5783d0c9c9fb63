import { isGsm7, smsCapacity, smsLength } from '../../../functions/scheduling/sms';

const a = (n: number) => 'a'.repeat(n);

describe('smsLength in GSM-7', () => {
  it.each([
    [0, 1],
    [1, 1],
    [160, 1],
    [161, 2],
    [306, 2], // 2 × 153
    [307, 3],
    [459, 3],
    [460, 4],
  ])('%i plain characters take %i segment(s)', (n, segments) => {
    expect(smsLength(a(n))).toEqual({ encoding: 'GSM-7', characters: n, units: n, segments });
  });

  it('counts the extension table (€ [ ] { } | ^ ~ \\ and form feed) as two septets', () => {
    for (const char of ['€', '[', ']', '{', '}', '|', '^', '~', '\\', '\f']) {
      expect(smsLength(char)).toEqual({ encoding: 'GSM-7', characters: 1, units: 2, segments: 1 });
    }
    expect(smsLength('€'.repeat(80))).toMatchObject({ characters: 80, units: 160, segments: 1 });
    expect(smsLength(`${'€'.repeat(80)}a`)).toMatchObject({ characters: 81, units: 161, segments: 2 });
    expect(smsLength(`${a(159)}[`)).toMatchObject({ encoding: 'GSM-7', characters: 160, units: 161, segments: 2 });
  });

  it('never splits an escape sequence across segments', () => {
    // 306 septets would be two parts of 153, but the € would straddle the boundary: three parts.
    expect(smsLength(`${a(152)}€${a(152)}`)).toMatchObject({ encoding: 'GSM-7', units: 306, segments: 3 });
    expect(smsLength(`${a(151)}€${a(153)}`)).toMatchObject({ units: 306, segments: 2 });
  });

  it('knows the basic set, including its accented letters and Greek capitals', () => {
    expect(isGsm7('@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&\'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r')).toBe(true);
    for (const char of ['á', 'í', 'ó', 'ú', 'ç', 'ê', 'ë', '…', '’', '`', '\u00a0', '🦷']) expect(isGsm7(char)).toBe(false);
  });
});

describe('smsLength in UCS-2', () => {
  it('switches the whole text to UCS-2 for one emoji, which counts two UTF-16 units', () => {
    expect(smsLength('See you soon 🦷')).toEqual({ encoding: 'UCS-2', characters: 14, units: 15, segments: 1 });
    expect(smsLength(`${a(159)}🦷`)).toEqual({ encoding: 'UCS-2', characters: 160, units: 161, segments: 3 });
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2], // 2 × 67
    [135, 3],
  ])('%i UCS-2 units take %i segment(s)', (n, segments) => {
    expect(smsLength(`á${a(n - 1)}`)).toEqual({ encoding: 'UCS-2', characters: n, units: n, segments });
  });

  it('never splits a surrogate pair across segments', () => {
    expect(smsLength(`${a(66)}🦷${a(66)}`)).toMatchObject({ encoding: 'UCS-2', units: 134, segments: 3 });
    expect(smsLength(`${a(65)}🦷${a(67)}`)).toMatchObject({ units: 134, segments: 2 });
  });

  it('reads Spanish: ñ and é are GSM-7, á is not', () => {
    const gsm = 'Hola Begoña, José le espera mañana a las 9:00. ¿Necesita cambiar la cita? Llame al 555 0100.';
    expect(smsLength(gsm)).toEqual({ encoding: 'GSM-7', characters: gsm.length, units: gsm.length, segments: 1 });
    const ucs2 = 'Hola Begoña, su cita es mañana a las 9:00 en la Clínica Sonrisa. ¿Podrá venir? Llame al 555 0100.';
    expect(ucs2.length).toBeGreaterThan(70);
    expect(smsLength(ucs2)).toEqual({ encoding: 'UCS-2', characters: ucs2.length, units: ucs2.length, segments: 2 });
  });
});

describe('smsCapacity', () => {
  it('is 160 or 70 in one segment and 153 or 67 per part beyond', () => {
    expect([smsCapacity('GSM-7', 1), smsCapacity('GSM-7', 2), smsCapacity('UCS-2', 1), smsCapacity('UCS-2', 2)]).toEqual([160, 306, 70, 134]);
  });
});
