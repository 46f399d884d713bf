// Keys of articles and categories: a-z, 0-9, `-`, `_`, up to 64 (the server's `check_kb_key`).
// A new article's key is proposed from its title, transliterated, and can be edited before the
// first save; after that it names the article and is fixed.
export const MAX_KEY_CHARS = 64;

export const isValidKey = (key: string) => key.length > 0 && key.length <= MAX_KEY_CHARS && /^[a-z0-9_-]+$/.test(key);

const RU: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch',
  ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/** «Сроки доставки» → `sroki-dostavki`; empty when nothing usable is left. */
export function keyFromTitle(title: string): string {
  const latin = [...title.toLowerCase()].map((ch) => RU[ch] ?? ch).join('');
  return latin
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_KEY_CHARS)
    .replace(/-+$/, '');
}

/** `base`, or `base-2`, `base-3`… when taken. */
export function uniqueKey(base: string, taken: (key: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const k = base.slice(0, MAX_KEY_CHARS - suffix.length) + suffix;
    if (!taken(k)) return k;
  }
}
