// Where a failed admin call is shown: at the field the server blamed (its `error.field`, or a code
// that concerns one field, like Avito refusing the secret), else above the form.
import { ApiError } from '../../shared/api/client';
import { errorText } from '../../shared/api/errors';
import i18n from '../../shared/i18n';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

export interface PlacedError<F extends string> {
  fields: FieldErrors<F>;
  /** What no field of the form is to blame for. */
  form: string | null;
}

/**
 * The server's words for a failure: its message when it explains a field (`validation_failed`),
 * else the translation of its code with the message beside it, or the message alone.
 */
export function serverMessage(e: unknown): string {
  if (!(e instanceof ApiError)) return errorText(e);
  if (e.code === 'validation_failed' && e.message) return e.message;
  const text = errorText(e);
  return i18n.exists(`errors.${e.code}`) && e.message && e.message !== text ? `${text} (${e.message})` : text;
}

/** `e` placed at one of `fields` when the server names it, or when its code is one `byCode` maps. */
export function placeError<F extends string>(e: unknown, fields: readonly F[], byCode: Partial<Record<string, F>> = {}): PlacedError<F> {
  const text = serverMessage(e);
  if (e instanceof ApiError) {
    const field = (fields as readonly string[]).includes(e.field ?? '') ? (e.field as F) : byCode[e.code];
    if (field) return { fields: { [field]: text } as FieldErrors<F>, form: null };
  }
  return { fields: {}, form: text };
}

export const hasErrors = (errors: FieldErrors<string>): boolean => Object.values(errors).some(Boolean);
