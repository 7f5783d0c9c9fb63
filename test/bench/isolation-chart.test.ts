import { escapeXml, logTicks, niceStep, renderIsolationChart } from '../../bench/isolation-chart';

describe('niceStep', () => {
  it('picks 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(1000)).toBe(200);
    expect(niceStep(240)).toBe(50);
    expect(niceStep(7, 7)).toBe(1);
    expect(niceStep(0)).toBe(1);
  });
});

describe('logTicks', () => {
  it('spans the latencies with 1-2-5 steps per power of ten', () => {
    expect(logTicks(230, 14_000)).toEqual([200, 500, 1000, 2000, 5000, 10000, 20000]);
    expect(logTicks(300, 480)).toEqual([200, 500]);
    expect(logTicks(100, 100)).toEqual([100, 200]);
  });
});

describe('renderIsolationChart', () => {
  const svg = renderIsolationChart({
    title: 'Clinical latency <shared> & isolated',
    series: [
      { label: 'shared key', color: '#c2410c', points: [{ atMs: 0, latencyMs: 200, ok: true }, { atMs: 5_000, latencyMs: 0, ok: false }] },
      { label: 'isolated keys', color: '#1d4ed8', points: [{ atMs: 1_000, latencyMs: 210, ok: true }] },
    ],
    burst: { startMs: 2_500, endMs: 7_500 },
    durationMs: 10_000,
  });

  it('is one standalone SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Clinical latency &lt;shared&gt; &amp; isolated');
    expect(svg).not.toMatch(/<script|href=/);
  });

  it('draws one panel per series, a dot per answer and a cross per failure', () => {
    expect(svg.match(/<g aria-label=/g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg.match(/<path d="M/g)).toHaveLength(1);
  });

  it('shades the burst window in every panel, from its start to its end on the time axis', () => {
    // Plot spans x 64..740 for 10 s: the burst from 2.5 s to 7.5 s is x 233..571.
    const shades = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="190" fill="#fde68a"/g)];
    expect(shades).toHaveLength(2);
    expect(Number(shades[0]![1])).toBeCloseTo(233, 0);
    expect(Number(shades[0]![2])).toBeCloseTo(338, 0);
  });

  it('escapes the five XML specials except apostrophes', () => {
    expect(escapeXml(`a<b>&"c"`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
