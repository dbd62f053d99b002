import { buildOptOutsConfig, DEFAULT_KEYWORDS } from './opt-outs.config';
import { ConfigurationError } from './validate-config';

describe('buildOptOutsConfig', () => {
  it('uses the standard CTIA keywords when nothing is configured', () => {
    expect(buildOptOutsConfig({}).keywords).toEqual(DEFAULT_KEYWORDS);
  });

  it('adds configured keywords to the standard ones: STOP always works', () => {
    const { keywords } = buildOptOutsConfig({
      OPT_OUT_KEYWORDS: 'arret, stop',
      OPT_IN_KEYWORDS: 'Go',
      HELP_KEYWORDS: 'aide',
    });
    expect(keywords['opt-out']).toEqual([...DEFAULT_KEYWORDS['opt-out'], 'ARRET']);
    expect(keywords['opt-in']).toEqual([...DEFAULT_KEYWORDS['opt-in'], 'GO']);
    expect(keywords.help).toEqual([...DEFAULT_KEYWORDS.help, 'AIDE']);
  });

  it.each([',', ' , ', 'ARRET'])('OPT_OUT_KEYWORDS=%j cannot switch STOP off', (value) => {
    const { keywords } = buildOptOutsConfig({
      OPT_OUT_KEYWORDS: value,
      OPT_IN_KEYWORDS: ',',
      HELP_KEYWORDS: ',',
    });
    for (const kind of Object.keys(DEFAULT_KEYWORDS) as (keyof typeof DEFAULT_KEYWORDS)[])
      expect(keywords[kind]).toEqual(expect.arrayContaining(DEFAULT_KEYWORDS[kind]));
  });

  it('refuses a word in two kinds, a configured one against a standard one too', () => {
    expect(() => buildOptOutsConfig({ OPT_IN_KEYWORDS: 'stop' })).toThrow(ConfigurationError);
    expect(() => buildOptOutsConfig({ OPT_IN_KEYWORDS: 'STOP' })).toThrow(
      /STOP: listed as both opt-out and opt-in/,
    );
    expect(() => buildOptOutsConfig({ HELP_KEYWORDS: 'X', OPT_OUT_KEYWORDS: 'x' })).toThrow(
      /X: listed as both opt-out and help/,
    );
  });

  it('refuses a configured word that normalises to nothing, naming the variable and entry', () => {
    expect(() => buildOptOutsConfig({ OPT_OUT_KEYWORDS: 'arret, ❤️, ...' })).toThrow(
      /OPT_OUT_KEYWORDS: entry 2 is only punctuation, symbols or spaces/,
    );
  });
});
