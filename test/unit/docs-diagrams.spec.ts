/**
 * The message state machine drawn in docs/status-callbacks.md against the code, so the picture
 * cannot drift: every status appears, every arrow is a move the code can make (the status only
 * ever moves up STATUS_RANK, and the arrow's mover writes that status), and every move the code
 * makes on purpose (the conditional writes of the queue, cancel, expiry, the reconciler, the
 * campaigns and the send path) is drawn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MESSAGE_STATUSES,
  MessageStatus,
  STATUS_RANK,
} from '../../src/mms/message-log/message-status';
import { mermaidBlocks } from '../support/markdown';

const ROOT = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Transition {
  from: string;
  to: string;
  mover: string;
  line: string;
}

/** `A --> B : mover - detail` lines of a stateDiagram; `[*]` is the start. */
function parseStateDiagram(mermaid: string): { states: Set<string>; moves: Transition[] } {
  const moves: Transition[] = [];
  for (const line of mermaid.split('\n')) {
    const m = /^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::\s*(.*?))?\s*$/.exec(line);
    if (m)
      moves.push({ from: m[1], to: m[2], mover: (m[3] ?? '').split(' - ')[0], line: line.trim() });
  }
  const states = new Set(moves.flatMap((t) => [t.from, t.to]).filter((s) => s !== '[*]'));
  return { states, moves };
}

/** Who moves a message, and the files where each writes the statuses it moves messages to. */
const MOVERS: Record<string, string[]> = {
  'send path': [
    'src/mms/message-log/message-log.repository.ts', // createPending: pending, or scheduled
    'src/mms/send/accepted-response.ts',
    'src/mms/send/usecases/record-send-failure/record-send-failure.usecase.ts',
  ],
  dispatcher: [
    'src/mms/dispatch/dispatch-queue.repository.ts',
    'src/mms/dispatch/usecases/dispatch-message/dispatch-message.usecase.ts',
  ],
  cancel: ['src/mms/dispatch/dispatch-queue.repository.ts'],
  expiry: ['src/mms/dispatch/usecases/dispatch-message/dispatch-message.usecase.ts'],
  reconciler: ['src/mms/message-log/message-log.repository.ts'],
  campaign: [
    'src/mms/message-log/campaign-messages.repository.ts',
    'src/mms/campaigns/campaign-monitor.repository.ts',
    'src/mms/dispatch/usecases/dispatch-message/campaign-gate.ts',
  ],
  'inbound webhook': ['src/mms/message-log/inbound-document.ts'],
  // A callback carries Plivo's status (any the parser accepts): see PLIVO_STATUSES.
  'Plivo callback': ['src/mms/webhooks/plivo-callback.ts'],
};

/** The statuses Plivo reports; the others are the gateway's own, never a callback's. */
const PLIVO_STATUSES: MessageStatus[] = [
  'queued',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'rejected',
  'read',
];

/**
 * The moves the code makes on purpose, each where it is written: the file must still write the
 * status it moves to, and the diagram must draw the move.
 */
const CODE_MOVES: { from: string; to: MessageStatus; mover: string; file: string }[] = [
  {
    from: '[*]',
    to: 'pending',
    mover: 'send path',
    file: 'src/mms/message-log/message-log.repository.ts',
  },
  {
    from: '[*]',
    to: 'scheduled',
    mover: 'send path',
    // The send path's log is built by outboundDocument and inserted by the repository.
    file: 'src/mms/message-log/outbound-document.ts',
  },
  {
    from: '[*]',
    to: 'scheduled',
    mover: 'campaign',
    file: 'src/mms/message-log/campaign-messages.repository.ts',
  },
  {
    from: '[*]',
    to: 'received',
    mover: 'inbound webhook',
    file: 'src/mms/message-log/inbound-document.ts',
  },
  {
    from: 'scheduled',
    to: 'pending',
    mover: 'dispatcher',
    file: 'src/mms/dispatch/dispatch-queue.repository.ts',
  },
  {
    from: 'scheduled',
    to: 'canceled',
    mover: 'cancel',
    file: 'src/mms/dispatch/dispatch-queue.repository.ts',
  },
  {
    from: 'scheduled',
    to: 'canceled',
    mover: 'campaign',
    file: 'src/mms/campaigns/campaign-monitor.repository.ts',
  },
  {
    from: 'scheduled',
    to: 'canceled',
    mover: 'campaign',
    file: 'src/mms/dispatch/usecases/dispatch-message/campaign-gate.ts',
  },
  {
    from: 'scheduled',
    to: 'expired',
    mover: 'expiry',
    file: 'src/mms/dispatch/usecases/dispatch-message/dispatch-message.usecase.ts',
  },
  {
    from: 'scheduled',
    to: 'failed',
    mover: 'dispatcher',
    file: 'src/mms/dispatch/usecases/dispatch-message/dispatch-message.usecase.ts',
  },
  { from: 'pending', to: 'queued', mover: 'send path', file: 'src/mms/send/accepted-response.ts' },
  {
    from: 'pending',
    to: 'failed',
    mover: 'send path',
    file: 'src/mms/send/usecases/record-send-failure/record-send-failure.usecase.ts',
  },
  {
    from: 'pending',
    to: 'unknown',
    mover: 'send path',
    file: 'src/mms/send/usecases/record-send-failure/record-send-failure.usecase.ts',
  },
  {
    from: 'pending',
    to: 'unknown',
    mover: 'reconciler',
    file: 'src/mms/message-log/message-log.repository.ts',
  },
];

/** Where a message's first status is written: these may follow `[*]`. */
const CREATED_AS: MessageStatus[] = ['pending', 'scheduled', 'received'];

const docs = read('docs/status-callbacks.md');
const diagram = mermaidBlocks(docs).find((b) => /^stateDiagram/m.test(b)) ?? '';
const { states, moves } = parseStateDiagram(diagram);
const drawn = (from: string, to: string, mover: string): boolean =>
  moves.some((t) => t.from === from && t.to === to && t.mover === mover);

/** What is wrong with a diagram: its arrows the code cannot make, its missing states and moves. */
function problems(parsed: { states: Set<string>; moves: Transition[] }): string[] {
  const found: string[] = [];
  for (const status of MESSAGE_STATUSES)
    if (!parsed.states.has(status)) found.push(`status ${status} is not drawn`);
  for (const state of parsed.states)
    if (!(MESSAGE_STATUSES as readonly string[]).includes(state))
      found.push(`${state} is not a status of message-status.ts`);
  for (const t of parsed.moves) {
    const to = t.to as MessageStatus;
    const files = MOVERS[t.mover];
    if (!files)
      found.push(
        `${t.line}: unknown mover "${t.mover}" (one of ${Object.keys(MOVERS).join(', ')})`,
      );
    if (t.to === '[*]') continue;
    if (t.from === '[*]' && !CREATED_AS.includes(to))
      found.push(`${t.line}: no message is created ${t.to}`);
    if (t.from !== '[*]' && !(STATUS_RANK[t.from as MessageStatus] < STATUS_RANK[to]))
      found.push(`${t.line}: the status never moves from ${t.from} to ${t.to} (rank)`);
    if (t.mover === 'Plivo callback') {
      if (!PLIVO_STATUSES.includes(to))
        found.push(`${t.line}: ${t.to} is the gateway's own status, not Plivo's`);
    } else if (files && !files.some((f) => read(f).includes(`'${t.to}'`)))
      found.push(`${t.line}: ${t.mover} never writes ${t.to} (${files.join(', ')})`);
  }
  for (const m of CODE_MOVES)
    if (!parsed.moves.some((t) => t.from === m.from && t.to === m.to && t.mover === m.mover))
      found.push(
        `the code moves ${m.from} → ${m.to} (${m.mover}) and the diagram does not draw it`,
      );
  return found;
}

describe("docs/status-callbacks.md's message state machine against the code", () => {
  it('finds the diagram and its arrows', () => {
    expect(moves.length).toBeGreaterThan(15);
    expect(drawn('scheduled', 'pending', 'dispatcher')).toBe(true);
  });

  it('the code still moves a status only up its rank (what the rank check below relies on)', () => {
    const pipeline = read('src/mms/message-log/status-change.ts');
    expect(pipeline).toContain("{ $lt: ['$statusRank', rank] }");
    expect(pipeline).toContain('const rank = STATUS_RANK[change.status]');
    // A Plivo callback carries any status the log knows (Plivo's, in PLIVO_STATUSES).
    expect(read('src/mms/webhooks/plivo-callback.ts')).toContain('isMessageStatus(status)');
  });

  it('every move the code makes on purpose is still written where the list says', () => {
    const moved = CODE_MOVES.filter(({ to, file }) => !read(file).includes(`'${to}'`));
    expect(moved).toEqual([]);
  });

  it('draws every status, and only moves the code can make, by movers that write them', () => {
    expect(problems({ states, moves })).toEqual([]);
  });

  it('the check fails on a drifted picture: a backwards arrow, a missing status, an unknown mover', () => {
    const drifted = diagram
      .replace(/^.*--> read : .*$/m, '')
      .concat('    delivered --> queued : Plivo callback\n    scheduled --> sent : teleport\n');
    const found = problems(parseStateDiagram(drifted));
    expect(found).toEqual(
      expect.arrayContaining([
        'status read is not drawn',
        'delivered --> queued : Plivo callback: the status never moves from delivered to queued (rank)',
        'scheduled --> sent : teleport: unknown mover "teleport" (one of send path, dispatcher, cancel, expiry, reconciler, campaign, inbound webhook, Plivo callback)',
      ]),
    );
  });

  it('the check fails when a move the code makes is not drawn', () => {
    const found = problems(parseStateDiagram(diagram.replace(/^.*: expiry - .*$/m, '')));
    expect(found).toContain(
      'the code moves scheduled → expired (expiry) and the diagram does not draw it',
    );
  });
});
