/**
 * Where a job lives in Ballot. Everything the workers share is under `<job>/`: nothing else coordinates them.
 *
 *   <job>/next            increment-only hint: the next task number to try (saves scanning for free work)
 *   <job>/results/<i>     the result of task i, written once with create-if-absent (the one that counts)
 *   <job>/summary/done    how many results were counted (increments, by the winner of each result only)
 *   <job>/summary/sum     the sum of the counted results (increments, likewise)
 *   lock <job>/tasks/<i>  the lease of the worker computing task i (locks live apart from keys)
 */

/** What a worker stores for a task: the value, who computed it, and the fencing token of the lease it held. */
export interface TaskResult {
  readonly task: number;
  readonly value: number;
  readonly worker: string;
  readonly token: number;
}

export const nextKey = (job: string): string => `${job}/next`;
export const resultKey = (job: string, task: number): string => `${job}/results/${task}`;
export const taskLock = (job: string, task: number): string => `${job}/tasks/${task}`;
export const doneKey = (job: string): string => `${job}/summary/done`;
export const sumKey = (job: string): string => `${job}/summary/sum`;

/** The work of one task. */
export const square = (task: number): number => task * task;

/** 1² + 2² + ... + n², for the check at the end. */
export const sumOfSquares = (n: number): number => (n * (n + 1) * (2 * n + 1)) / 6;

/** Reads a stored result defensively: another program could have written anything under the key. */
export function parseResult(value: unknown, task: number): TaskResult | null {
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  if (r.task !== task || typeof r.value !== "number" || typeof r.worker !== "string" || typeof r.token !== "number") return null;
  return { task, value: r.value, worker: r.worker, token: r.token };
}
