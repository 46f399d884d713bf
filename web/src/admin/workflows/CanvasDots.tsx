// The canvas's dotted background, drawn as React Flow's `<Background>` draws it (the same dots, gap
// and colour) but without painting again as the view moves: the pattern is drawn once per zoom on a
// layer one gap larger than the canvas each way, and a pan only shifts that layer by the pan modulo
// the gap, which the compositor does. React Flow's own background moves its pattern instead, so
// every pan or auto-pan frame painted and rasterised the whole canvas again (in software, in the
// browsers this runs in, that was most of a frame).
import { useStore, useStoreApi } from '@xyflow/react';
import { useId, useLayoutEffect, useRef } from 'react';

const mod = (a: number, n: number) => ((a % n) + n) % n;

export function CanvasDots({ gap = 20, size = 1 }: { gap?: number; size?: number }) {
  const store = useStoreApi();
  const zoom = useStore((s) => s.transform[2]);
  const ref = useRef<SVGSVGElement>(null);
  const id = `wf-dots-${useId().replace(/:/g, '')}`;
  const g = gap * zoom || 1;
  const r = (size * zoom) / 2;

  useLayoutEffect(() => {
    let last = '';
    const place = () => {
      const [x, y, z] = store.getState().transform;
      const sg = gap * z || 1;
      const next = `translate(${mod(x, sg) - sg}px, ${mod(y, sg) - sg}px)`;
      if (next !== last && ref.current) ref.current.style.transform = next;
      last = next;
    };
    place();
    return store.subscribe(place);
  }, [store, gap]);

  return (
    <svg
      ref={ref}
      className="react-flow__background wf-dots"
      style={{ position: 'absolute', top: 0, left: 0, width: `calc(100% + ${2 * g}px)`, height: `calc(100% + ${2 * g}px)`, willChange: 'transform' }}
      aria-hidden
    >
      <pattern id={id} x={0} y={0} width={g} height={g} patternUnits="userSpaceOnUse" patternTransform={`translate(-${g / 2},-${g / 2})`}>
        <circle cx={r} cy={r} r={r} className="react-flow__background-pattern dots" />
      </pattern>
      <rect x="0" y="0" width="100%" height="100%" fill={`url(#${id})`} />
    </svg>
  );
}
