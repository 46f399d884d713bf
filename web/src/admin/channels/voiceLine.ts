// A voice line's settings as the card edits them: the texts it says and its timing, the rest
// (voice activity detection, keypad) passed through as stored. The transfer's credentials never
// come back from the server, so an edit leaves `transfer` out (the server keeps it) unless the
// admin removes it (`transfer: null`).

export const LINE_TEXTS = ['greeting', 'reprompt', 'goodbye', 'not_heard', 'transfer_notice', 'transfer_failed'] as const;
export type LineText = (typeof LINE_TEXTS)[number];
export const LINE_NUMBERS = ['reprompt_after_secs', 'max_reprompts'] as const;
export type LineNumber = (typeof LINE_NUMBERS)[number];

export interface LineForm {
  language: string;
  texts: Record<LineText, string>;
  numbers: Record<LineNumber, string>;
  removeTransfer: boolean;
}

type Settings = Record<string, unknown>;

export function lineFormOf(settings: Settings): LineForm {
  return {
    language: String(settings.language ?? 'ru'),
    texts: Object.fromEntries(LINE_TEXTS.map((k) => [k, String(settings[k] ?? '')])) as Record<LineText, string>,
    numbers: Object.fromEntries(LINE_NUMBERS.map((k) => [k, String(settings[k] ?? '')])) as Record<LineNumber, string>,
    removeTransfer: false,
  };
}

/** The `settings` of the PATCH, or the fields that are not whole numbers ≥ 0. */
export function lineSettingsOf(stored: Settings, f: LineForm): { settings: Settings } | { problems: LineNumber[] } {
  const problems = LINE_NUMBERS.filter((k) => !/^\d+$/.test(f.numbers[k].trim()));
  if (problems.length) return { problems };
  const { transfer: _kept, error: _unreadable, ...rest } = stored;
  const settings: Settings = { ...rest, language: f.language };
  for (const k of LINE_TEXTS) settings[k] = f.texts[k];
  for (const k of LINE_NUMBERS) settings[k] = Number(f.numbers[k].trim());
  if (f.removeTransfer) settings.transfer = null;
  return { settings };
}

/** The transfer as lines to show: its kind and each non-secret field; credentials as set or not. */
export function transferSummary(transfer: unknown): { kind: string | null; error: string | null; fields: [string, string][] } {
  if (transfer === null || transfer === undefined) return { kind: null, error: null, fields: [] };
  const t = transfer as Record<string, unknown>;
  if (typeof t.error === 'string') return { kind: null, error: t.error, fields: [] };
  const fields = Object.entries(t)
    .filter(([k, v]) => k !== 'kind' && v !== null && v !== undefined && v !== '')
    .map(([k, v]): [string, string] => [k, typeof v === 'boolean' ? (v ? '✓' : '—') : String(v)]);
  return { kind: String(t.kind ?? ''), error: null, fields };
}
