/*
 * Promela twin of independent-6x9.model.json (beside it), for the SPIN anchor of test/bench/checker.bench.ts.
 *
 * Six processes, each taking nine references (dma_fence_get: refcount++) to a fence of its own,
 * one statement per step, so that SPIN's states are drmstate's: every combination of the six
 * program counters, (9+1)^6 = 10^6. The step after the last is a valid end state that never
 * moves ("end: false"), because a finished process in SPIN would add a state of its own when it
 * dies (and may die only after every process created later); drmstate's finished task just stays.
 * The fence's refcount starts at 1 (dma_fence_init) as in the model's setup.
 *
 *   spin -a independent-6x9.pml && cc -O2 -DNOREDUCE -DSAFETY -o pan pan.c && ./pan
 *   → 1000000 states, stored
 */
byte refcount[6] = 1;

active [6] proctype t()
{
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
  refcount[_pid]++;
end:
  false
}
