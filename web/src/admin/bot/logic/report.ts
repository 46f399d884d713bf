// A version's figures (crates/frontline-engine/src/bot/report.rs, measured after publishing): what
// the screen reads from them, and the geometry of the coverage/error chart drawn as plain SVG.
import type { components } from '../../../shared/api/schema';

export type BotReport = components['schemas']['BotConfigReport'];
export type ReportPoint = components['schemas']['BotReportPoint'];

/** A version's `report` field: the figures, a failure to measure, or nothing yet. */
export type ReportState = { kind: 'pending' } | { kind: 'failed'; error: string } | { kind: 'ready'; report: BotReport };

export function reportState(raw: unknown): ReportState {
  if (raw === null || raw === undefined) return { kind: 'pending' };
  if (typeof raw === 'object') {
    const r = raw as Record<string, unknown>;
    if (typeof r.accuracy === 'number' && Array.isArray(r.curve)) return { kind: 'ready', report: raw as BotReport };
    if (typeof r.error === 'string') return { kind: 'failed', error: r.error };
  }
  return { kind: 'failed', error: String(JSON.stringify(raw)) };
}

/** The classifier's name for "none of the intents". */
export const isOutOfScope = (intent: string): boolean => intent === 'oos' || intent === '__oos__';

const percent = new Intl.NumberFormat('ru-RU', { style: 'percent', maximumFractionDigits: 1 });
const decimal = new Intl.NumberFormat('ru-RU', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
export const pct = (x: number | null | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? percent.format(x) : '—');
export const threshold = (x: number): string => decimal.format(x);

/** The curve point nearest to `t` (the figures "at this threshold" under a slider). */
export function pointAt(curve: readonly ReportPoint[], t: number): ReportPoint | null {
  let best: ReportPoint | null = null;
  for (const p of curve) {
    if (typeof p.threshold !== 'number') continue;
    if (!best || Math.abs(p.threshold - t) < Math.abs((best.threshold ?? 0) - t)) best = p;
  }
  return best;
}

export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const CHART: ChartBox = { width: 560, height: 300, left: 56, right: 20, top: 20, bottom: 44 };

export interface ChartPoint {
  x: number;
  y: number;
  threshold: number | null;
  coverage: number;
  error: number;
}

export interface Chart {
  box: ChartBox;
  /** The error at the top of the y axis. */
  yMax: number;
  points: ChartPoint[];
  /** The polyline through the curve, by threshold. */
  path: string;
  /** Thresholds written beside their points, none closer than a label's width to the last. */
  labelled: ChartPoint[];
  chosen: ChartPoint | null;
  xTicks: { x: number; value: number }[];
  yTicks: { y: number; value: number }[];
}

/** The error axis' top: a round step above the largest error shown (at least 5 %). */
export function niceMax(max: number): number {
  const steps = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1];
  return steps.find((s) => s >= max - 1e-9) ?? 1;
}

export function chartOf(curve: readonly ReportPoint[], chosen: ReportPoint | null, box: ChartBox = CHART): Chart {
  const sorted = curve.slice().sort((a, b) => (a.threshold ?? 0) - (b.threshold ?? 0));
  const yMax = niceMax(Math.max(0, ...sorted.map((p) => p.error), chosen?.error ?? 0));
  const w = box.width - box.left - box.right;
  const h = box.height - box.top - box.bottom;
  const at = (p: ReportPoint): ChartPoint => ({
    x: box.left + Math.min(1, Math.max(0, p.coverage)) * w,
    y: box.top + h - (Math.min(yMax, Math.max(0, p.error)) / yMax) * h,
    threshold: p.threshold ?? null,
    coverage: p.coverage,
    error: p.error,
  });
  const points = sorted.map(at);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  const labelled: ChartPoint[] = [];
  for (const p of points) {
    if (p.threshold === null || Math.round(p.threshold * 100) % 10 !== 0) continue;
    const last = labelled[labelled.length - 1];
    if (last && Math.hypot(last.x - p.x, last.y - p.y) < 30) continue;
    labelled.push(p);
  }
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ x: box.left + value * w, value }));
  const step = yMax <= 0.2 ? 0.05 : yMax <= 0.5 ? 0.1 : 0.25;
  const yTicks = Array.from({ length: Math.round(yMax / step) + 1 }, (_, k) => k * step).map((value) => ({ y: box.top + h - (value / yMax) * h, value }));
  return { box, yMax, points, path, labelled, chosen: chosen ? at(chosen) : null, xTicks, yTicks };
}
