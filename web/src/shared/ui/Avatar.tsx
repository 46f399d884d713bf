import { useState } from 'react';

const COLORS = ['#f28b82', '#fbbc04', '#34a853', '#4fc3f7', '#7e57c2', '#ff8a65', '#26a69a', '#ec407a'];

export function initials(name: string | null | undefined): string {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase();
}

export function colorFor(seed: number): string {
  return COLORS[Math.abs(seed) % COLORS.length] ?? '#4fc3f7';
}

export function Avatar(props: { name: string | null | undefined; url?: string | null; seed: number; size?: number; testId?: string }) {
  const [broken, setBroken] = useState(false);
  const size = props.size ?? 44;
  const style = { width: size, height: size, fontSize: size * 0.38 };
  if (props.url && !broken) {
    return (
      <img
        className="avatar"
        data-testid={props.testId}
        src={props.url}
        alt=""
        style={style}
        loading="lazy"
        onError={() => setBroken(true)}
      />
    );
  }
  return (
    <span className="avatar avatar-initials" data-testid={props.testId} style={{ ...style, background: colorFor(props.seed) }} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}
