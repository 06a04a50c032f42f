const NS = 'http://www.w3.org/2000/svg';

/** A small inline SVG line plot of one or more series (same length), scaled to fit together. */
export function plot(svg: SVGSVGElement, series: number[][], colors: string[], w = 320, h = 60) {
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.replaceChildren();
  const all = series.flat();
  if (all.length === 0) return;
  const lo = Math.min(0, ...all), hi = Math.max(...all), span = hi - lo || 1;
  series.forEach((values, i) => {
    const step = values.length > 1 ? (w - 4) / (values.length - 1) : 0;
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', values
      .map((v, j) => `${(2 + j * step).toFixed(1)},${(h - 2 - ((v - lo) / span) * (h - 4)).toFixed(1)}`).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', colors[i]);
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
  });
}
