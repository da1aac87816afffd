'use client';

import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from 'recharts';
import type { ClassView } from '@/lib/cohorts/dashboard';
import { AXIS, Bars, Figure, MARGIN, TOOLTIP } from './chart-kit';

/**
 * The class view of a cohort, figures from chart-kit like the review stats: reviews per day, true
 * retention by course part per week (a heatmap of squares), and lab pass rates. Each chart has a
 * sentence and a data table as its text alternative (Figure).
 */

const pct = (n: number, d: number) => (d === 0 ? '—' : `${Math.round((n / d) * 100)}%`);

export function CohortCharts({ view, learners }: { view: ClassView; learners: number }) {
  const total30 = view.reviewsPerDay.reduce((a, b) => a + b.reviews, 0);
  const parts = view.retentionByPart;
  const heat = parts.flatMap((p, row) =>
    p.weeks.map((w, col) => ({
      row,
      col,
      title: p.title,
      start: w.start,
      reviews: w.reviews,
      rate: w.reviews === 0 ? null : w.recalled / w.reviews,
    })),
  );
  const weekCount = parts[0]?.weeks.length ?? 0;
  const allReviews = heat.reduce((a, h) => a + h.reviews, 0);
  const weakest = parts
    .map((p) => {
      const r = p.weeks.reduce((a, w) => ({ reviews: a.reviews + w.reviews, recalled: a.recalled + w.recalled }), {
        reviews: 0,
        recalled: 0,
      });
      return { title: p.title, ...r };
    })
    .filter((p) => p.reviews >= 20)
    .sort((a, b) => a.recalled / a.reviews - b.recalled / b.reviews)[0];
  const labRows = view.labs.map((l) => ({ name: l.title, started: l.started, passed: l.passed }));
  // Red (low) → amber → green (high): retention under 70% reads as trouble at a glance.
  const colour = (rate: number | null) =>
    rate === null ? 'var(--surface-2)' : rate >= 0.85 ? 'var(--accent)' : rate >= 0.7 ? '#d4a72c' : 'var(--danger)';

  return (
    <div className="chart-grid">
      <Figure
        title="Reviews per day, whole class"
        summary={`${total30} review${total30 === 1 ? '' : 's'} by the class in the last 30 days (UTC days), ${learners === 0 ? 0 : Math.round((total30 / 30 / learners) * 10) / 10} per learner per day.`}
        table={{ head: ['Date', 'Reviews'], rows: view.reviewsPerDay.map((d) => [d.date, d.reviews]) }}
      >
        <Bars
          data={view.reviewsPerDay}
          x="date"
          xFormat={(d) => d.slice(5)}
          yWidth={40}
          series={[{ key: 'reviews', name: 'reviews', fill: 'var(--accent)' }]}
        />
      </Figure>

      <Figure
        title="Retention by part, per week"
        summary={
          allReviews === 0
            ? `No reviews of mature cards in the last ${weekCount} weeks yet.`
            : `True retention of the class per course part over the last ${weekCount} weeks (green 85% and up, amber 70–85%, red below 70%, grey no reviews).${weakest ? ` Weakest part: ${weakest.title} at ${pct(weakest.recalled, weakest.reviews)}.` : ''}`
        }
        table={{
          head: ['Part', ...(parts[0]?.weeks.map((w) => `Week of ${w.start}`) ?? [])],
          rows: parts.map((p) => [
            p.title,
            ...p.weeks.map((w) => (w.reviews === 0 ? '—' : `${pct(w.recalled, w.reviews)} of ${w.reviews}`)),
          ]),
        }}
      >
        <ResponsiveContainer>
          <ScatterChart margin={MARGIN} accessibilityLayer={false}>
            <XAxis
              type="number"
              dataKey="col"
              domain={[-0.5, weekCount - 0.5]}
              ticks={[0, weekCount - 1]}
              tickFormatter={(c: number) => (c === 0 ? `${weekCount} wk ago` : 'this week')}
              {...AXIS}
            />
            <YAxis
              type="number"
              dataKey="row"
              reversed
              domain={[-0.5, parts.length - 0.5]}
              ticks={parts.map((_, i) => i)}
              tickFormatter={(r: number) => `Part ${r + 1}`}
              width={48}
              {...AXIS}
            />
            <ZAxis type="number" range={[260, 260]} />
            <Tooltip
              {...TOOLTIP}
              formatter={(_v, _n, item) => {
                const p = item.payload as (typeof heat)[number];
                return [p.rate === null ? 'no reviews' : `${Math.round(p.rate * 100)}% of ${p.reviews}`, `${p.title}, week of ${p.start}`];
              }}
              labelFormatter={() => ''}
            />
            <Scatter data={heat} shape="square" isAnimationActive={false}>
              {heat.map((h) => (
                <Cell key={`${h.row}-${h.col}`} fill={colour(h.rate)} />
              ))}
            </Scatter>
          </ScatterChart>
        </ResponsiveContainer>
      </Figure>

      <Figure
        title="Lab pass rates"
        height={Math.max(220, 60 + labRows.length * 30)}
        summary={labSummary(labRows, learners)}
        table={{
          head: ['Lab', 'Started', 'Passed', 'Pass rate'],
          rows: labRows.map((l) => [l.name, l.started, l.passed, pct(l.passed, learners)]),
        }}
      >
        {/* Lying bars: thirteen lab names fit down the side, not under bars a phone makes 20 px wide. */}
        <ResponsiveContainer>
          <BarChart data={labRows} layout="vertical" margin={{ ...MARGIN, right: 16 }} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--border)" horizontal={false} />
            <XAxis type="number" allowDecimals={false} domain={[0, Math.max(1, learners)]} {...AXIS} />
            <YAxis
              type="category"
              dataKey="name"
              width={150}
              interval={0}
              tickFormatter={(t: string) => (t.length > 40 ? `${t.slice(0, 38)}…` : t)}
              {...AXIS}
              fontSize={11}
            />
            <Tooltip {...TOOLTIP} />
            <Legend />
            <Bar dataKey="started" name="started" fill="var(--muted)" isAnimationActive={false} />
            <Bar dataKey="passed" name="passed" fill="var(--accent)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </Figure>
    </div>
  );
}

/** The lab chart in words: the labs someone has started, then how many nobody has (not thirteen zeros). */
function labSummary(rows: { name: string; started: number; passed: number }[], learners: number): string {
  if (rows.length === 0) return 'No graded labs in the course yet.';
  const started = rows.filter((l) => l.started > 0);
  const idle = rows.length - started.length;
  if (started.length === 0) return `No learner has started any of the ${rows.length} labs yet.`;
  const said = started.map((l) => `${l.name}: ${l.passed} of ${learners} passed, ${l.started} started`).join('; ');
  return `${said}.${idle > 0 ? ` The other ${idle} lab${idle === 1 ? '' : 's'}: not started by anyone.` : ''}`;
}
