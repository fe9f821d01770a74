// assert.throws for promises (uvu's assert has no rejects).

import * as assert from 'uvu/assert';

export async function rejects(promise: Promise<unknown>, check: (error: any) => boolean, message?: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) assert.unreachable(message ?? 'expected a rejection');
  assert.ok(check(error), message ?? `unexpected error: ${(error as Error)?.message ?? String(error)}`);
}
