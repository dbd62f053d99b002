import { buildOptOutsConfig, DEFAULT_KEYWORDS } from '../../config/opt-outs.config';
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

  it('uses the configured lists, and refuses a word listed twice', () => {
    const { keywords } = buildOptOutsConfig({ OPT_OUT_KEYWORDS: 'arret, stop' });
    expect(classifyInbound('Arrêt', undefined, keywords)).toBeUndefined();
    expect(classifyInbound('ARRET', undefined, keywords)).toBe('opt-out');
    expect(() => buildOptOutsConfig({ OPT_IN_KEYWORDS: 'STOP' })).toThrow(
      /both opt-out and opt-in/,
    );
  });
});
