/**
 * `bench/isolation.svg`: clinical latency over time, one panel per configuration (shared key on
 * top, isolated keys below) on the same axes, with the chat burst shaded. Plain SVG with no
 * scripts or external references, so GitHub renders it inline in the README.
 */

export interface LatencyPoint {
  /** Milliseconds since the configuration's run started. */
  atMs: number;
  latencyMs: number;
  /** false: the request failed (any non-2xx); drawn as a cross at the top of the panel. */
  ok: boolean;
}

export interface ChartSeries {
  label: string;
  color: string;
  points: LatencyPoint[];
}

export interface IsolationChartInput {
  title: string;
  series: ChartSeries[];
  /** The chat burst, in the same clock as the points. */
  burst: { startMs: number; endMs: number };
  durationMs: number;
}

const WIDTH = 760;
const PANEL_HEIGHT = 190;
const MARGIN = { left: 64, right: 20, top: 44, bottom: 40 };
const PANEL_GAP = 36;

/**
 * Ticks of a logarithmic latency axis: 1, 2 and 5 × each power of ten from just below `min` to
 * just above `max`. A log axis keeps a 300 ms answer and a 15 s one readable on one chart.
 */
export function logTicks(min: number, max: number): number[] {
  const low = Math.max(1, Math.min(min, max));
  const candidates: number[] = [];
  for (let power = 10 ** Math.floor(Math.log10(low)); candidates.length === 0 || candidates[candidates.length - 1]! < max; power *= 10) {
    candidates.push(power, 2 * power, 5 * power);
  }
  const first = Math.max(0, candidates.findLastIndex((t) => t <= low));
  const last = candidates.findIndex((t) => t >= max);
  return candidates.slice(first, Math.max(first + 1, last) + 1);
}

/** Tick step for an axis from 0 to `max` with about `count` ticks: 1, 2 or 5 × a power of ten. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  const factor = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10;
  return factor * power;
}

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function fixed(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

export function renderIsolationChart(input: IsolationChartInput): string {
  const panels = input.series.length;
  const height = MARGIN.top + panels * PANEL_HEIGHT + (panels - 1) * PANEL_GAP + MARGIN.bottom;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const okLatencies = input.series.flatMap((s) => s.points.filter((p) => p.ok).map((p) => p.latencyMs));
  const ticks = logTicks(okLatencies.length > 0 ? Math.min(...okLatencies) : 100, okLatencies.length > 0 ? Math.max(...okLatencies) : 1000);
  const yLow = Math.log10(ticks[0]!);
  const yHigh = Math.log10(ticks[ticks.length - 1]!);
  const duration = Math.max(1, input.durationMs);
  const xStep = niceStep(duration / 1000, 8);
  const x = (ms: number) => MARGIN.left + (Math.min(Math.max(ms, 0), duration) / duration) * plotWidth;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(input.title)}</title>`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN.left}" y="20" font-size="14" font-weight="600" fill="#1f2933">${escapeXml(input.title)}</text>`);
  out.push(`<text x="${MARGIN.left}" y="36" fill="#52606d">Shaded: chat burst at 10× its normal rate. Dots: clinical requests that answered; crosses: clinical requests that failed.</text>`);

  input.series.forEach((series, index) => {
    const top = MARGIN.top + index * (PANEL_HEIGHT + PANEL_GAP);
    const bottom = top + PANEL_HEIGHT;
    const y = (ms: number) => bottom - ((Math.min(Math.max(Math.log10(Math.max(ms, 1)), yLow), yHigh) - yLow) / Math.max(yHigh - yLow, 1e-9)) * (PANEL_HEIGHT - 14);
    out.push(`<g aria-label="${escapeXml(series.label)}">`);
    out.push(`<rect x="${fixed(x(input.burst.startMs))}" y="${top}" width="${fixed(Math.max(1, x(input.burst.endMs) - x(input.burst.startMs)))}" height="${PANEL_HEIGHT}" fill="#fde68a" fill-opacity="0.45"/>`);
    for (const v of ticks) {
      out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y(v))}" y2="${fixed(y(v))}" stroke="#e4e7eb"/>`);
      out.push(`<text x="${MARGIN.left - 6}" y="${fixed(y(v) + 4)}" text-anchor="end" fill="#52606d">${v.toLocaleString('en-US')}</text>`);
    }
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${bottom}" stroke="#9aa5b1"/>`);
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" stroke="#9aa5b1"/>`);
    out.push(`<text x="${MARGIN.left + 6}" y="${top + 12}" font-weight="600" fill="${series.color}">${escapeXml(series.label)}</text>`);
    out.push(`<text transform="translate(16 ${fixed(top + PANEL_HEIGHT / 2)}) rotate(-90)" text-anchor="middle" fill="#52606d">latency (ms, log)</text>`);
    for (const p of series.points) {
      if (p.ok) {
        out.push(`<circle cx="${fixed(x(p.atMs))}" cy="${fixed(y(p.latencyMs))}" r="1.8" fill="${series.color}" fill-opacity="0.7"/>`);
      } else {
        const cx = x(p.atMs);
        const cy = top + 4;
        out.push(`<path d="M${fixed(cx - 3)} ${fixed(cy - 3)}L${fixed(cx + 3)} ${fixed(cy + 3)}M${fixed(cx - 3)} ${fixed(cy + 3)}L${fixed(cx + 3)} ${fixed(cy - 3)}" stroke="#c81e1e" stroke-width="1.4"/>`);
      }
    }
    out.push('</g>');
  });

  const axisY = MARGIN.top + panels * PANEL_HEIGHT + (panels - 1) * PANEL_GAP;
  for (let s = 0; s * 1000 <= duration; s += xStep) {
    out.push(`<text x="${fixed(x(s * 1000))}" y="${axisY + 16}" text-anchor="middle" fill="#52606d">${s}</text>`);
  }
  out.push(`<text x="${fixed(MARGIN.left + plotWidth / 2)}" y="${axisY + 32}" text-anchor="middle" fill="#52606d">seconds since the configuration started</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
