import { assignSenders } from './campaign-senders';
import { normaliseRecipients } from './recipients';

describe('normaliseRecipients', () => {
  it('normalises spellings to E.164, drops repeats after normalisation, reports invalid ones by position', () => {
    const list = normaliseRecipients([
      '+14157654321',
      '(415) 765-4321',
      ' 415.765.4322 ',
      'nope',
      '+1 415 765 4322',
      '+1415',
    ]);
    expect(list.numbers).toEqual(['+14157654321', '+14157654322']);
    expect(list.duplicates).toBe(2);
    expect(list.errors.map((e) => e.field)).toEqual(['recipients[3]', 'recipients[5]']);
  });

  it('refuses valid numbers the campaign cannot send to, with the reason', () => {
    const list = normaliseRecipients(['+447911123456', '+14157654321'], (n) =>
      n.startsWith('+1') ? undefined : 'not US',
    );
    expect(list.numbers).toEqual(['+14157654321']);
    expect(list.errors).toEqual([{ field: 'recipients[0]', messages: ['+447911123456: not US'] }]);
  });
});

describe('assignSenders', () => {
  it("a pool number with the recipient's area code, else the pool in turn; a one-number pool: that number", () => {
    const pool = ['+14155550100', '+12125550100', '+13105550100'];
    expect(
      assignSenders(pool, [
        '+12125551234',
        '+16175551234',
        '+16175551235',
        '+14155551234',
        '+16175551236',
      ]),
    ).toEqual(['+12125550100', '+14155550100', '+12125550100', '+14155550100', '+13105550100']);
    expect(assignSenders(['+14155550100'], ['+12125551234', '+14155551234'])).toEqual([
      '+14155550100',
      '+14155550100',
    ]);
  });
});
