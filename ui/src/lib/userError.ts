import type { ErrorCode } from '../bindings/ErrorCode';
import type { UserError } from '../bindings/UserError';

/**
 * What the window shows for a failure: a sentence, what to do (when Rust said), and the code
 * the window branches on. Branch on `code`, never on `message`: sentences are for people and
 * may be reworded.
 */
export interface Shown {
  message: string;
  advice: string | null;
  code: ErrorCode | null;
}

/** The UserError a command rejected with, or null for anything else (an IPC failure, a bug). */
export function asUserError(error: unknown): UserError | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as Record<string, unknown>;
  if (typeof e.code !== 'string' || typeof e.message !== 'string' || e.message.trim() === '') return null;
  return { code: e.code as ErrorCode, message: e.message, advice: typeof e.advice === 'string' ? e.advice : '' };
}

/**
 * A failed command as the window shows it. Only a UserError's words are written for people;
 * anything else (a bare string from the IPC layer, an Error with a stack) becomes `fallback`.
 */
export function shownError(error: unknown, fallback: string): Shown {
  const e = asUserError(error);
  if (!e) return { message: fallback, advice: null, code: null };
  return { message: e.message, advice: e.advice.trim() === '' ? null : e.advice, code: e.code };
}
