import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The JSON body of the README quick start's `curl -X POST …/send-mms … -d '…'`. */
export function readmeSeedRequest(): unknown {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const curl = /curl -X POST http:\/\/localhost:3000\/send-mms[^]*?-d '([^']+)'/.exec(readme);
  if (!curl) throw new Error("README has no quick-start curl to POST /send-mms with a -d '…' body");
  return JSON.parse(curl[1]);
}
