// A round avatar: the picture when there is one and it loads, else the initials.
import { useState } from 'react';
import { colorFor, initials } from './initials';

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
