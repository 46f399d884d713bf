// Every node type the engine knows, to drag onto the canvas (or click: it lands in view).
import { useTranslation } from 'react-i18next';
import { NODE_DRAG_TYPE } from './Canvas';
import { PALETTE_ORDER, specOf, type Catalogue } from './logic/catalogue';

export function Palette(p: { catalogue: Catalogue; hasStart: boolean; onAdd(type: string): void }) {
  const { t } = useTranslation();
  // The engine's types in the palette's order; any type the editor has no place for yet at the end.
  const types = [...PALETTE_ORDER.filter((x) => specOf(p.catalogue, x)), ...p.catalogue.node_types.map((n) => n.type).filter((x) => !(PALETTE_ORDER as string[]).includes(x))];
  return (
    <aside className="wf-palette" aria-label={t('wf.palette.title')} data-testid="wf-palette">
      <div className="wf-palette-title">{t('wf.palette.title')}</div>
      {types.map((type) => {
        const disabled = type === 'start' && p.hasStart;
        return (
          <button
            type="button"
            key={type}
            className={`wf-palette-item wf-node--${type}`}
            draggable={!disabled}
            disabled={disabled}
            data-testid="wf-palette-item"
            data-type={type}
            title={t(`wf.types.${type}.what`, { defaultValue: type })}
            onDragStart={(e) => {
              e.dataTransfer.setData(NODE_DRAG_TYPE, type);
              e.dataTransfer.effectAllowed = 'move';
            }}
            onClick={() => p.onAdd(type)}
          >
            <span className={`wf-node-icon wf-icon--${type}`} aria-hidden />
            {t(`wf.types.${type}.title`, { defaultValue: type })}
          </button>
        );
      })}
      <div className="wf-palette-keys">{t('wf.palette.keys')}</div>
    </aside>
  );
}
