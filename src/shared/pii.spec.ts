import { maskPhoneNumbers, maskPii } from './pii';

describe('PII masking', () => {
  it('keeps only the last 4 digits of phone numbers', () => {
    expect(maskPhoneNumbers('to +14157654321 from 14155550100')).toBe(
      'to +*******4321 from *******0100',
    );
  });
  it('leaves short numbers, ids and timestamps readable', () => {
    expect(maskPhoneNumbers('attempt 3, status 202, id 665f1c2e9d3b4a00')).toBe(
      'attempt 3, status 202, id 665f1c2e9d3b4a00',
    );
  });
  it('walks objects and arrays', () => {
    expect(maskPii({ a: ['+14157654321'], b: { c: 'x 16135550123' }, n: 4 })).toEqual({
      a: ['+*******4321'],
      b: { c: 'x *******0123' },
      n: 4,
    });
  });
});
