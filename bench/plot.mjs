// The concurrency sweep as a PNG: creates/s and p99 latency against connections, one line per target.
// vega-lite describes the chart, vega renders it to SVG, resvg turns the SVG into a PNG; no browser.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';

/** points: [{ target, connections, perSecond, p99 }] */
export async function plotSweep(points, file, title) {
  const x = { field: 'connections', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'concurrent connections' };
  const color = { field: 'target', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 4, labelLimit: 400 } };
  const spec = compile({
    title,
    data: { values: points },
    hconcat: [
      {
        width: 420,
        height: 300,
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'perSecond', type: 'quantitative', scale: { type: 'log' }, title: 'users created per second (log)' },
          color,
        },
      },
      {
        width: 420,
        height: 300,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'p99', type: 'quantitative', scale: { type: 'log' }, title: 'p99 latency, ms (log)' }, color },
      },
    ],
    config: { font: 'sans-serif' },
  }).spec;
  const svg = await new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
  fs.writeFileSync(file, new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1.5 } }).render().asPng());
}

// `node bench/plot.mjs` redraws the plot from the last run's bench/results/latest.json.
export function plotResults(results, dir) {
  return plotSweep(
    results.sweep,
    path.join(dir, 'sweep.png'),
    `Single creates without password: throughput and p99 against concurrency (${results.machine})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await plotResults(JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')), dir);
}
