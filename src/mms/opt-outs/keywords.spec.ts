import {
  buildOptOutsConfig,
  DEFAULT_KEYWORDS,
  normalizeKeyword,
} from '../../config/opt-outs.config';
import { classifyInbound } from './keywords';

describe('classifyInbound', () => {
  it.each([
    ['STOP', undefined, 'opt-out'],
    ['stop', undefined, 'opt-out'],
    [' Stop. ', undefined, 'opt-out'],
    ['"unsubscribe!"', undefined, 'opt-out'],
    ['start', undefined, 'opt-in'],
    ['Info?', undefined, 'help'],
    ['please stop', undefined, undefined],
    ['', undefined, undefined],
    [undefined, undefined, undefined],
    ['anything', 'optout', 'opt-out'],
    ['STOP', 'help', 'help'],
    ['hello', 'unknown-intent', undefined],
  ])('%j with MessageIntent %j → %j', (text, intent, kind) => {
    expect(classifyInbound(text, intent, DEFAULT_KEYWORDS)).toBe(kind);
  });

  // What carriers and the FCC read as an opt-out, however a phone writes it.
  it.each([
    'opt out',
    'Opt-Out',
    'OPT_OUT',
    'OPTOUT',
    'opt  -  out',
    'Opt\tOut',
    'revoke',
    'Stop ❤️',
    '❤️ stop ❤️',
    'STOP 🛑',
    'Stop 👍🏽',
    '\u200BSTOP',
    'ST\u200BOP',
    'STOP\u2060',
    '\uFEFFstop',
    'S\u00ADTOP',
    'ＳＴＯＰ',
    'ｓｔｏｐ！',
    'stop.',
    'stop.\n',
    'stop. \r\n',
    '\n\nSTOP\n',
    'STOP\u00A0',
    '\u3000stop\u3000',
    'Stop!!!',
    '...stop...',
    '"STOP"',
    '(unsubscribe)',
    'Cancel.',
    'Quit?',
    'S\u0336T\u0336O\u0336P\u0336', // strike-through: marks on Latin letters NFKC cannot compose
    'S\u0332TOP',
    'stop\u0007',
  ])('%j is an opt-out', (text) => {
    expect(classifyInbound(text, undefined, DEFAULT_KEYWORDS)).toBe('opt-out');
  });

  it.each([
    'stop by later',
    "don't stop",
    'dont stop',
    'unstoppable',
    'please stop sending',
    'stop it',
    'stopping',
    'Non-stop',
    'stop.stop',
    'opt outs',
    'opted out',
    'end of story',
    'I want to opt out',
    'stop stop',
  ])('%j is not an opt-out', (text) => {
    expect(classifyInbound(text, undefined, DEFAULT_KEYWORDS)).not.toBe('opt-out');
  });

  it.each([
    ['Yes 👍', 'opt-in'],
    ['Opt-In', 'opt-in'],
    ['opt_in', 'opt-in'],
    ['ＨＥＬＰ', 'help'],
    ['help\u200D', 'help'],
  ])('%j → %j', (text, kind) => {
    expect(classifyInbound(text, undefined, DEFAULT_KEYWORDS)).toBe(kind);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'MessageIntent=%s names no intent (only optout, optin, help do): the text decides',
    (intent) => {
      expect(classifyInbound('hello', intent, DEFAULT_KEYWORDS)).toBeUndefined();
      expect(classifyInbound('STOP', intent, DEFAULT_KEYWORDS)).toBe('opt-out');
    },
  );

  it('uses the configured lists, and refuses a word listed twice', () => {
    const { keywords } = buildOptOutsConfig({ OPT_OUT_KEYWORDS: 'arret, stop' });
    expect(classifyInbound('Arrêt', undefined, keywords)).toBeUndefined();
    expect(classifyInbound('ARRET', undefined, keywords)).toBe('opt-out');
    // A mark NFKC composes is a letter of its own: not the configured word without it.
    expect(classifyInbound('Arre\u0302t', undefined, keywords)).toBeUndefined();
    expect(() => buildOptOutsConfig({ OPT_IN_KEYWORDS: 'STOP' })).toThrow(
      /both opt-out and opt-in/,
    );
  });

  it('normalises the configured lists as the inbound text', () => {
    const { keywords } = buildOptOutsConfig({
      OPT_OUT_KEYWORDS: 'no-more, ＡＲＲÊＴ , fin_des_messages',
    });
    expect(keywords['opt-out']).toEqual(
      expect.arrayContaining(['NO MORE', 'ARRÊT', 'FIN DES MESSAGES']),
    );
    expect(classifyInbound('No more!', undefined, keywords)).toBe('opt-out');
    expect(classifyInbound('arrêt', undefined, keywords)).toBe('opt-out');
    expect(classifyInbound('Fin des messages', undefined, keywords)).toBe('opt-out');
    // A configured word that another kind already has, once normalised, is refused.
    expect(() => buildOptOutsConfig({ OPT_IN_KEYWORDS: 'opt-out' })).toThrow(
      /OPT OUT: listed as both opt-out and opt-in/,
    );
  });

  // Marks that carry meaning stay: stripping every non-spacing mark merged distinct words.
  it.each([
    ['หยุด', 'หยด'], // Thai: stop / drop (the vowel sign U+0E38 is a non-spacing mark)
    ['रुको', 'रको'], // Hindi: stop / a different word (the vowel sign U+0941)
  ])('a configured %j matches itself, not %j', (word, other) => {
    const { keywords } = buildOptOutsConfig({ OPT_OUT_KEYWORDS: word });
    expect(classifyInbound(word, undefined, keywords)).toBe('opt-out');
    expect(classifyInbound(` ${word}!`, undefined, keywords)).toBe('opt-out');
    expect(classifyInbound(other, undefined, keywords)).toBeUndefined();
  });

  it.each([
    ['stop\u0007', 'STOP'],
    ['\u0000stop\u001b', 'STOP'],
    ['opt\u0007out', 'OPT OUT'],
    ['STOP\uFE0E', 'STOP'],
    ['ST\u{E0101}OP', 'STOP'],
    ['1\uFE0F\u20E3', '1'],
    ['👋🏽stop', 'STOP'],
  ])(
    '%j is normalised to %j (controls as whitespace; selectors, keycaps, skin tones removed)',
    (text, normal) => {
      expect(normalizeKeyword(text)).toBe(normal);
    },
  );
});
