/**
 * The number each recipient of a campaign goes from, decided in memory (no query per
 * recipient): a pool number with the recipient's area code (North American numbers: the three
 * digits after +1), else the pool in turn, so the campaign spreads evenly over it.
 */
export function assignSenders(pool: string[], recipients: string[]): string[] {
  const byAreaCode = new Map<string, string[]>();
  for (const number of pool) {
    const code = areaCodeOf(number);
    if (code) byAreaCode.set(code, [...(byAreaCode.get(code) ?? []), number]);
  }
  const turns = new Map<string, number>();
  let next = 0;
  return recipients.map((recipient) => {
    const code = areaCodeOf(recipient);
    const local = code ? byAreaCode.get(code) : undefined;
    if (local) {
      const turn = turns.get(code!) ?? 0;
      turns.set(code!, turn + 1);
      return local[turn % local.length];
    }
    return pool[next++ % pool.length];
  });
}

function areaCodeOf(e164: string): string | undefined {
  return /^\+1(\d{3})\d{7}$/.exec(e164)?.[1];
}
