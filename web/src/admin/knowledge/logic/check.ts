// Reading the check («Проверить»): where a fragment's confidence stands against the bot's two
// thresholds — enough for a recognised question's knowledge answer, enough to answer a question
// no intent recognised — and confidences as percentages.
import type { KbCheckResult } from '../api';

export type ConfidenceLevel = 'direct' | 'answer' | 'below' | 'unknown';

export function confidenceLevel(confidence: number, r: Pick<KbCheckResult, 'answer_threshold' | 'direct_threshold'>): ConfidenceLevel {
  if (r.answer_threshold === null || r.direct_threshold === null) return 'unknown';
  if (confidence >= r.direct_threshold) return 'direct';
  if (confidence >= r.answer_threshold) return 'answer';
  return 'below';
}

export const percent = (x: number) => `${Math.round(x * 100)}%`;

/** A BM25 score, short: it only orders the hits of one question. */
export const formatScore = (x: number) => x.toFixed(x >= 10 ? 1 : 2);
