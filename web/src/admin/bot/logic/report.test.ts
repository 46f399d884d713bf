import { describe, expect, it } from 'vitest';
import { CHART, chartOf, isOutOfScope, niceMax, pct, pointAt, reportState, type ReportPoint } from './report';

const curve: ReportPoint[] = Array.from({ length: 21 }, (_, i) => {
  const t = Math.round(i * 5) / 100;
  return { threshold: t, coverage: t === 1 ? 0 : 1 - t * 0.4, error: t === 1 ? 0 : 0.12 - t * 0.1 };
});

describe('the figures of a version', () => {
  it('a report is ready, failed or still to come', () => {
    expect(reportState(null)).toEqual({ kind: 'pending' });
    expect(reportState(undefined)).toEqual({ kind: 'pending' });
    expect(reportState({ error: 'the encoder failed' })).toEqual({ kind: 'failed', error: 'the encoder failed' });
    expect(reportState({ accuracy: 0.9, curve: [] }).kind).toBe('ready');
  });

  it('percent in Russian, the out-of-scope class by either name', () => {
    expect(pct(0.88125).replace(/\s/g, ' ')).toBe('88,1 %');
    expect(pct(null)).toBe('—');
    expect(isOutOfScope('oos') && isOutOfScope('__oos__') && !isOutOfScope('payment')).toBe(true);
  });

  it('the curve point nearest a threshold', () => {
    expect(pointAt(curve, 0.83)?.threshold).toBe(0.85);
    expect(pointAt(curve, 0)?.threshold).toBe(0);
    expect(pointAt([], 0.5)).toBeNull();
  });

  it('chart: coverage along x, error up y, the chosen point placed on the same scales', () => {
    const c = chartOf(curve, { threshold: null, coverage: 0.85, error: 0.05 });
    expect(c.yMax).toBe(0.15);
    expect(c.points).toHaveLength(21);
    const w = CHART.width - CHART.left - CHART.right;
    const h = CHART.height - CHART.top - CHART.bottom;
    const zero = c.points[0]!;
    expect(zero.x).toBeCloseTo(CHART.left + w);
    expect(zero.y).toBeCloseTo(CHART.top + h - (0.12 / 0.15) * h);
    const last = c.points[20]!;
    expect([last.x, last.y]).toEqual([CHART.left, CHART.top + h]);
    expect(c.chosen!.x).toBeCloseTo(CHART.left + 0.85 * w);
    expect(c.chosen!.y).toBeCloseTo(CHART.top + h - (0.05 / 0.15) * h);
    expect(c.path.startsWith('M')).toBe(true);
    expect(c.path.split('L')).toHaveLength(21);
    expect(c.labelled.every((p) => Math.round((p.threshold ?? 0) * 100) % 10 === 0)).toBe(true);
    expect(c.xTicks.map((t) => t.value)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(c.yTicks.map((t) => Math.round(t.value * 100))).toEqual([0, 5, 10, 15]);
    expect(c.yTicks[3]!.y).toBeCloseTo(CHART.top);
    expect(chartOf(curve, null).chosen).toBeNull();
  });

  it('the error axis ends on a round step, at least 5 %', () => {
    expect(niceMax(0)).toBe(0.05);
    expect(niceMax(0.113)).toBe(0.15);
    expect(niceMax(0.3)).toBe(0.3);
    expect(niceMax(2)).toBe(1);
  });
});
