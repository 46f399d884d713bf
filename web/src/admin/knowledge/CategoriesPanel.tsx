// The categories beside the article list: in the editor's order with their article counts, a
// filter of the list when clicked; created, retitled, moved (arrows or drag and drop) and deleted
// here. A category that still has articles is not deleted, and the panel says how many remain.
import { useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../shared/api/client';
import { useKbCategories } from './categories';
import { kbErrorText } from './logic/errors';
import { isValidKey, keyFromTitle, uniqueKey } from './logic/keys';
import type { KbCategoryListed } from './api';

/** Runs a change; a failure is shown under the list, in `explain`'s words when it has some. */
type Act = (what: () => Promise<void>, explain?: (e: unknown) => string | null) => Promise<void>;

export function CategoriesPanel(props: { selected: string; onSelect: (key: string) => void }) {
  const { t } = useTranslation();
  const list = useKbCategories((s) => s.list);
  const loaded = useKbCategories((s) => s.loaded);
  const loadError = useKbCategories((s) => s.error);
  const move = useKbCategories((s) => s.move);
  const [error, setError] = useState<string | null>(null);
  const [dragged, setDragged] = useState<string | null>(null);

  const act: Act = async (what, explain) => {
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(explain?.(e) ?? kbErrorText(e));
    }
  };
  const drop = (e: DragEvent, index: number) => {
    e.preventDefault();
    if (dragged) void act(() => move(dragged, { index }));
    setDragged(null);
  };

  return (
    <aside className="kb-categories" data-testid="kb-categories" aria-label={t('kb.categories.title')}>
      <h2>{t('kb.categories.title')}</h2>
      <button type="button" className={`kb-category-all${props.selected === '' ? ' active' : ''}`} onClick={() => props.onSelect('')} data-testid="kb-category-all">
        {t('kb.categories.all')}
      </button>
      {!loaded && <p className="kb-hint">{t('kb.loading')}</p>}
      {loadError != null && <p className="kb-error">{kbErrorText(loadError)}</p>}
      <ol className="kb-category-list">
        {list.map((c, i) => (
          <CategoryRow
            key={c.key}
            category={c}
            first={i === 0}
            last={i === list.length - 1}
            selected={props.selected === c.key}
            onSelect={() => props.onSelect(c.key)}
            act={act}
            onDragStart={() => setDragged(c.key)}
            onDrop={(e) => drop(e, i)}
            dragging={dragged === c.key}
          />
        ))}
      </ol>
      {loaded && list.length === 0 && loadError == null && <p className="kb-hint">{t('kb.categories.none')}</p>}
      {error && (
        <p className="kb-error" role="alert" data-testid="kb-category-error">
          {error}
        </p>
      )}
      <NewCategory act={act} />
    </aside>
  );
}

function CategoryRow(props: {
  category: KbCategoryListed;
  first: boolean;
  last: boolean;
  selected: boolean;
  onSelect: () => void;
  act: Act;
  onDragStart: () => void;
  onDrop: (e: DragEvent) => void;
  dragging: boolean;
}) {
  const { t } = useTranslation();
  const { category: c, act } = props;
  const put = useKbCategories((s) => s.put);
  const remove = useKbCategories((s) => s.remove);
  const move = useKbCategories((s) => s.move);
  const [renaming, setRenaming] = useState<string | null>(null);

  const rename = async () => {
    const title = renaming?.trim() ?? '';
    if (!title || title === c.title) return setRenaming(null);
    await act(async () => {
      await put(c.key, title);
      setRenaming(null);
    });
  };
  const del = () =>
    act(
      async () => {
        if (window.confirm(t('kb.categories.confirmDelete', { title: c.title }))) await remove(c.key);
      },
      // Say how many articles are in the way (counted anew), not "conflict": the route's own code.
      (e) =>
        e instanceof ApiError && e.status === 409 && e.code === 'kb_category_not_empty'
          ? t('kb.categories.notEmpty', { title: c.title, count: useKbCategories.getState().list.find((x) => x.key === c.key)?.articles ?? c.articles })
          : null,
    );

  return (
    <li
      className={`kb-category${props.selected ? ' active' : ''}${props.dragging ? ' dragging' : ''}`}
      data-testid="kb-category"
      data-key={c.key}
      draggable={renaming === null}
      onDragStart={(e) => {
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', c.key);
        props.onDragStart();
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={props.onDrop}
    >
      {renaming === null ? (
        <button type="button" className="kb-category-name" onClick={props.onSelect} title={c.key}>
          <span className="kb-category-title">{c.title}</span>
          <span className="kb-count" data-testid="kb-category-count" title={t('kb.categories.counts', { all: c.articles, published: c.published_articles })}>
            {c.articles === c.published_articles ? c.articles : t('kb.categories.countShort', { all: c.articles, published: c.published_articles })}
          </span>
        </button>
      ) : (
        <form
          className="kb-category-rename"
          onSubmit={(e) => {
            e.preventDefault();
            void rename();
          }}
        >
          <input value={renaming} onChange={(e) => setRenaming(e.target.value)} aria-label={t('kb.categories.newTitle')} autoFocus data-testid="kb-category-rename-input" maxLength={200} />
          <button type="submit" className="kb-small">
            {t('kb.save')}
          </button>
          <button type="button" className="kb-small" onClick={() => setRenaming(null)}>
            {t('kb.cancel')}
          </button>
        </form>
      )}
      {renaming === null && (
        <span className="kb-category-tools">
          <button type="button" className="kb-icon" disabled={props.first} onClick={() => void act(() => move(c.key, { by: -1 }))} aria-label={t('kb.categories.up', { title: c.title })} data-testid="kb-category-up">
            ↑
          </button>
          <button type="button" className="kb-icon" disabled={props.last} onClick={() => void act(() => move(c.key, { by: 1 }))} aria-label={t('kb.categories.down', { title: c.title })} data-testid="kb-category-down">
            ↓
          </button>
          <button type="button" className="kb-icon" onClick={() => setRenaming(c.title)} aria-label={t('kb.categories.rename', { title: c.title })} data-testid="kb-category-rename">
            ✎
          </button>
          <button type="button" className="kb-icon" onClick={() => void del()} aria-label={t('kb.categories.delete', { title: c.title })} data-testid="kb-category-delete">
            ✕
          </button>
        </span>
      )}
    </li>
  );
}

function NewCategory(props: { act: Act }) {
  const { t } = useTranslation();
  const list = useKbCategories((s) => s.list);
  const put = useKbCategories((s) => s.put);
  const [title, setTitle] = useState('');
  const [key, setKey] = useState<string | null>(null);
  const proposed = uniqueKey(keyFromTitle(title) || 'category', (k) => list.some((c) => c.key === k));
  const finalKey = key ?? proposed;
  const taken = key !== null && list.some((c) => c.key === key);
  const ok = title.trim() !== '' && isValidKey(finalKey) && !taken;
  return (
    <form
      className="kb-new-category"
      data-testid="kb-new-category"
      onSubmit={(e) => {
        e.preventDefault();
        if (!ok) return;
        void props.act(async () => {
          await put(finalKey, title.trim());
          setTitle('');
          setKey(null);
        });
      }}
    >
      <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder={t('kb.categories.newPlaceholder')} aria-label={t('kb.categories.newTitle')} data-testid="kb-new-category-title" maxLength={200} />
      {title.trim() !== '' && (
        <label className="kb-key-field">
          <span>{t('kb.key')}</span>
          <input value={finalKey} onChange={(e) => setKey(e.target.value)} data-testid="kb-new-category-key" spellCheck={false} />
        </label>
      )}
      {title.trim() !== '' && !isValidKey(finalKey) && <p className="kb-field-error">{t('kb.editor.badKey')}</p>}
      {taken && <p className="kb-field-error">{t('kb.categories.keyTaken')}</p>}
      <button type="submit" className="kb-secondary" disabled={!ok} data-testid="kb-new-category-submit">
        {t('kb.categories.add')}
      </button>
    </form>
  );
}
