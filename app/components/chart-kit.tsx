'use client';

import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/**
 * What the app's charts share (recharts, the one chart library): a chart is a figure whose caption
 * says in words what it shows and whose data is also a table a screen reader (or anyone) can
 * open; the SVG itself is hidden from assistive technology. Colours come from the theme's CSS
 * variables, so charts follow light and dark.
 */

export const AXIS = { stroke: 'var(--muted)', fontSize: 12 };
export const TOOLTIP = { contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' } };
export const MARGIN = { top: 8, right: 8, bottom: 8, left: 0 };

/** A chart as a figure: caption in words, the data as a table. */
export function Figure({
  title,
  summary,
  children,
  table,
  height,
}: {
  title: string;
  summary: string;
  children: ReactNode;
  table: { head: string[]; rows: (string | number)[][] };
  /** Pixels, when the chart needs more than the usual 220 (a row per item). */
  height?: number;
}) {
  return (
    <section className="card chart-card" aria-label={title}>
      <h2>{title}</h2>
      <figure>
        <div className="chart-box" aria-hidden="true" style={height ? { height } : undefined}>
          {children}
        </div>
        <figcaption data-testid="chart-summary">{summary}</figcaption>
      </figure>
      <details>
        <summary className="muted">Data as a table</summary>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                {table.head.map((h) => (
                  <th key={h} scope="col">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((r) => (
                <tr key={String(r[0])}>
                  {r.map((v, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: fixed columns
                    <td key={i}>{v}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

/** Upright bars over a few categories or a run of dates (then only the first and last date are labelled). */
export function Bars({
  data,
  x,
  series,
  xFormat,
  yWidth = 34,
}: {
  data: object[];
  x: string;
  series: { key: string; name: string; fill: string }[];
  xFormat?: (v: string) => string;
  yWidth?: number;
}) {
  return (
    <ResponsiveContainer>
      <BarChart data={data} margin={MARGIN} accessibilityLayer={false}>
        <CartesianGrid stroke="var(--border)" vertical={false} />
        <XAxis dataKey={x} tickFormatter={xFormat} {...AXIS} interval={xFormat ? 'preserveStartEnd' : undefined} />
        <YAxis allowDecimals={false} width={yWidth} {...AXIS} />
        <Tooltip {...TOOLTIP} />
        {series.map((s) => (
          <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.fill} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}
