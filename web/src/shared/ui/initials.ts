// What an avatar without a picture shows: the initials on a colour chosen by a stable seed.
const COLORS = ['#f28b82', '#fbbc04', '#34a853', '#4fc3f7', '#7e57c2', '#ff8a65', '#26a69a', '#ec407a'];

export function initials(name: string | null | undefined): string {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase();
}

export function colorFor(seed: number): string {
  return COLORS[Math.abs(seed) % COLORS.length] ?? '#4fc3f7';
}
