// A version's figures, measured after publishing: accuracy and out-of-scope recall, recall per
// intent, which intents it confuses, and coverage against error along the threshold (SVG).
import { useTranslation } from 'react-i18next';
import { intentLabel } from '../../shared/i18n/labels';
import { documentOf, type BotConfigVersion } from './api';
import { intentsOf, str } from './logic/document';
import { chartOf, isOutOfScope, pct, reportState, threshold, type BotReport, type ReportPoint } from './logic/report';
import { useBot } from './store';

export function FiguresPanel() {
  const { t } = useTranslation();
  const selected = useBot((s) => s.selected);
  const detail = useBot((s) => (s.selected === null ? undefined : s.details[s.selected]));
  const failed = useBot((s) => s.status?.failed);
  if (selected === null) return null;
  const r = reportState(detail?.report);
  return (
    <div className="adm-block bot-block bot-figures" data-testid="bot-figures" data-version={selected} data-state={detail ? r.kind : 'loading'}>
      <h2>{t('bot.figures.title', { n: selected })}</h2>
      {!detail && <p className="adm-loading">{t('adminForms.loading')}</p>}
      {detail && r.kind === 'pending' && (
        <p className="adm-hint" data-testid="bot-figures-pending">
          {failed?.version === selected ? t('bot.figures.notTrained') : t('bot.figures.pending')}
        </p>
      )}
      {detail && r.kind === 'failed' && (
        <p className="adm-form-error" data-testid="bot-figures-failed">
          {t('bot.figures.failed', { error: r.error })}
        </p>
      )}
      {detail && r.kind === 'ready' && <Figures report={r.report} version={detail} />}
    </div>
  );
}

function Figures(p: { report: BotReport; version: BotConfigVersion }) {
  const { t, i18n } = useTranslation();
  const r = p.report;
  const labels = new Map(intentsOf(documentOf(p.version) ?? {}).map((i) => [str(i.name), str(i.label)]));
  const name = (intent: string) => (isOutOfScope(intent) ? t('bot.figures.oos') : labels.get(intent) || intentLabel(t, i18n.exists.bind(i18n), intent));
  return (
    <>
      <p className="adm-hint" data-testid="bot-figures-note">
        {t('bot.figures.note', { folds: r.folds })}
      </p>
      <div className="bot-kpis">
        <div className="bot-kpi" data-testid="bot-accuracy">
          <strong>{pct(r.accuracy)}</strong>
          <span>{t('bot.figures.accuracy')}</span>
        </div>
        <div className="bot-kpi" data-testid="bot-oos-recall">
          <strong>{pct(r.oos_recall)}</strong>
          <span>{t('bot.figures.oosRecall')}</span>
        </div>
        <div className="bot-kpi">
          <strong>{r.n_examples}</strong>
          <span>{t('bot.figures.examples', { oos: r.n_out_of_scope })}</span>
        </div>
      </div>
      {!r.encoder && <p className="adm-hint">{t('bot.figures.noEncoder')}</p>}

      <h3>{t('bot.figures.curve')}</h3>
      <CurveChart curve={r.curve} chosen={r.chosen} />

      <h3>{t('bot.figures.recall')}</h3>
      <table className="adm-table bot-recall" data-testid="bot-recall-table">
        <thead>
          <tr>
            <th>{t('bot.figures.intent')}</th>
            <th>{t('bot.figures.examplesCol')}</th>
            <th>{t('bot.figures.recallCol')}</th>
            <th>{t('bot.figures.thresholdCol')}</th>
          </tr>
        </thead>
        <tbody>
          {r.intents.map((x) => (
            <tr key={x.intent} data-testid="bot-recall-row" data-intent={x.intent} className={x.recall < 0.7 ? 'low' : ''}>
              <td>
                {name(x.intent)} <span className="adm-hint">{x.intent}</span>
              </td>
              <td>{x.examples}</td>
              <td>
                <span className="bot-recall-bar" style={{ ['--v' as string]: String(x.recall) }} />
                {pct(x.recall)}
              </td>
              <td>{threshold(x.threshold)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>{t('bot.figures.confusions')}</h3>
      {r.confusions.length === 0 && <p className="adm-hint">{t('bot.figures.noConfusions')}</p>}
      <ul className="bot-confusions" data-testid="bot-confusions">
        {r.confusions.map((c, k) => (
          <li key={k} data-testid="bot-confusion" data-truth={c.truth} data-predicted={c.predicted}>
            <div>
              <strong>{t('bot.figures.confuses', { truth: name(c.truth), predicted: name(c.predicted) })}</strong> <span className="adm-badge">{t('bot.figures.times', { count: c.count })}</span>
            </div>
            {c.examples.length > 0 && (
              <ul className="bot-confusion-examples">
                {c.examples.map((e, j) => (
                  <li key={j}>«{e}»</li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Coverage (x) against error (y), one point a threshold from 0 to 1, the configuration's own point marked. */
export function CurveChart(p: { curve: readonly ReportPoint[]; chosen: ReportPoint | null }) {
  const { t } = useTranslation();
  const c = chartOf(p.curve, p.chosen);
  const { box } = c;
  const bottom = box.height - box.bottom;
  const chosen = c.chosen;
  const chosenLabel = chosen ? t('bot.figures.chosen', { coverage: pct(chosen.coverage), error: pct(chosen.error) }) : '';
  return (
    <svg className="bot-chart" viewBox={`0 0 ${box.width} ${box.height}`} role="img" aria-label={t('bot.figures.curveAria')} data-testid="bot-curve">
      {c.yTicks.map((tk) => (
        <g key={`y${tk.value}`}>
          <line x1={box.left} x2={box.width - box.right} y1={tk.y} y2={tk.y} className="bot-chart-grid" />
          <text x={box.left - 6} y={tk.y + 4} textAnchor="end" className="bot-chart-tick">
            {pct(tk.value)}
          </text>
        </g>
      ))}
      {c.xTicks.map((tk) => (
        <g key={`x${tk.value}`}>
          <line x1={tk.x} x2={tk.x} y1={box.top} y2={bottom} className="bot-chart-grid" />
          <text x={tk.x} y={bottom + 16} textAnchor="middle" className="bot-chart-tick">
            {pct(tk.value)}
          </text>
        </g>
      ))}
      <line x1={box.left} x2={box.width - box.right} y1={bottom} y2={bottom} className="bot-chart-axis" />
      <line x1={box.left} x2={box.left} y1={box.top} y2={bottom} className="bot-chart-axis" />
      <text x={box.left + (box.width - box.left - box.right) / 2} y={box.height - 6} textAnchor="middle" className="bot-chart-title">
        {t('bot.figures.xAxis')}
      </text>
      <text x={14} y={box.top + (bottom - box.top) / 2} textAnchor="middle" className="bot-chart-title" transform={`rotate(-90 14 ${box.top + (bottom - box.top) / 2})`}>
        {t('bot.figures.yAxis')}
      </text>
      <path d={c.path} className="bot-chart-line" />
      {c.points.map((pt, k) => (
        <circle key={k} cx={pt.x} cy={pt.y} r={3} className="bot-chart-point" data-testid="bot-curve-point" data-threshold={pt.threshold ?? ''}>
          <title>{t('bot.figures.point', { threshold: threshold(pt.threshold ?? 0), coverage: pct(pt.coverage), error: pct(pt.error) })}</title>
        </circle>
      ))}
      {c.labelled.map((pt) => (
        <text key={`l${pt.threshold}`} x={pt.x} y={pt.y - 8} textAnchor="middle" className="bot-chart-label">
          {threshold(pt.threshold ?? 0)}
        </text>
      ))}
      {chosen && (
        <g data-testid="bot-curve-chosen">
          <circle cx={chosen.x} cy={chosen.y} r={7} className="bot-chart-chosen" />
          {/* Up and to the left of its point: the curve runs down-left from there, the corner is empty. */}
          <text x={chosen.x - 10} y={chosen.y < box.top + 24 ? chosen.y + 22 : chosen.y - 14} textAnchor="end" className="bot-chart-chosen-label">
            {chosenLabel}
          </text>
        </g>
      )}
    </svg>
  );
}
