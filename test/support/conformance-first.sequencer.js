// Runs test/e2e/database-conformance first: when the database server lacks a property the
// service relies on, that suite names it before anything else fails in a puzzling way.
// The rest keeps Jest's own order (slowest and previously failed first).
const Sequencer = require('@jest/test-sequencer').default;

const FIRST = /database-conformance\.e2e-spec\.ts$/;

class ConformanceFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [
      ...sorted.filter((t) => FIRST.test(t.path)),
      ...sorted.filter((t) => !FIRST.test(t.path)),
    ];
  }
}

module.exports = ConformanceFirstSequencer;
