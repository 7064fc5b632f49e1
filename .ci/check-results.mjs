// Reads Jest's --json results; fails on any failed, skipped or todo test, or on none at all.
import { readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let problems = 0;
for (const file of process.argv.slice(2)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${file}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped of ${r.numTotalTests}`);
  if (skipped > 0) {
    for (const suite of r.testResults) {
      for (const t of suite.assertionResults) {
        if (t.status === 'pending' || t.status === 'todo') console.log(`  skipped: ${suite.name} > ${t.fullName}`);
      }
    }
  }
  if (r.numTotalTests === 0 || skipped > 0 || !r.success) problems++;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(problems === 0 && failed === 0 ? 0 : 1);
