'use client';

import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from 'recharts';
import type { ReviewStats } from '@/lib/srs/index';
import { AXIS, Bars, Figure, MARGIN, TOOLTIP } from './chart-kit';

/**
 * The Stats page's charts (and an instructor's drill-down into one learner's), figures from chart-kit.
 */

const pct = (n: number, d: number) => (d === 0 ? '—' : `${Math.round((n / d) * 1000) / 10}%`);
const short = (date: string) => date.slice(5);

/** `learner`: whose stats these are when not the viewer's own (an instructor's drill-down). */
export function ReviewCharts({ stats, partTitles, learner }: { stats: ReviewStats; partTitles: Record<string, string>; learner?: string }) {
  const weekday = (date: string) => (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
  const firstOffset = weekday(stats.calendar[0]?.date ?? stats.today);
  const heat = stats.calendar.map((d, i) => ({ ...d, week: Math.floor((i + firstOffset) / 7), day: weekday(d.date) }));
  const maxHeat = Math.max(1, ...heat.map((h) => h.count));
  const activeDays = stats.calendar.filter((d) => d.count > 0).length;
  const busiest = stats.calendar.reduce((a, b) => (b.count > a.count ? b : a), { date: '', count: 0 });
  const forecastTotal = stats.forecast.reduce((a, b) => a + b.count, 0);
  const stateRows = [
    { name: 'New', value: stats.states.new },
    { name: 'Learning', value: stats.states.learning },
    { name: 'Review', value: stats.states.review },
    { name: 'Relearning', value: stats.states.relearning },
    { name: 'Suspended', value: stats.states.suspended },
  ];
  const retentionRows = [
    { name: 'All parts', ...stats.retention.overall },
    ...stats.retention.byPart.map((p) => ({ name: partTitles[p.partId] ?? p.partId, reviews: p.reviews, recalled: p.recalled })),
  ].map((r) => ({ ...r, rate: r.reviews === 0 ? 0 : Math.round((r.recalled / r.reviews) * 1000) / 10 }));
  const desiredPct = Math.round(stats.retention.desired * 100);
  const { recalled, reviews } = stats.retention.overall;
  const retentionSaid =
    reviews === 0
      ? 'No card due for review (past its learning steps) was rated in the last 30 days, so there is no retention to show yet'
      : `${learner ?? 'You'} recalled ${pct(recalled, reviews)} of ${reviews} reviews of cards in review`;
  const minutes30 = Math.round(stats.daily.reduce((a, b) => a + b.minutes, 0));
  const reviews30 = stats.daily.reduce((a, b) => a + b.reviews, 0);

  return (
    <div className="chart-grid">
      <Figure
        title="Review calendar"
        summary={`Reviews per day over the last 26 weeks: ${activeDays} day${activeDays === 1 ? '' : 's'} with reviews${busiest.count > 0 ? `, the busiest ${busiest.date} with ${busiest.count}` : ''}. Streak: ${stats.streak} day${stats.streak === 1 ? '' : 's'}.`}
        table={{ head: ['Date', 'Reviews'], rows: stats.calendar.filter((d) => d.count > 0).map((d) => [d.date, d.count]) }}
      >
        <ResponsiveContainer>
          <ScatterChart margin={MARGIN} accessibilityLayer={false}>
            <XAxis type="number" dataKey="week" hide domain={[0, 26]} />
            <YAxis
              type="number"
              dataKey="day"
              reversed
              domain={[0, 6]}
              ticks={[0, 2, 4, 6]}
              tickFormatter={(d: number) => ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d] ?? ''}
              width={34}
              {...AXIS}
            />
            <ZAxis type="number" dataKey="count" range={[70, 70]} />
            <Tooltip {...TOOLTIP} formatter={(v) => [String(v), 'reviews']} labelFormatter={() => ''} />
            <Scatter data={heat} shape="square" isAnimationActive={false}>
              {heat.map((h) => (
                <Cell
                  key={h.date}
                  fill={h.count === 0 ? 'var(--surface-2)' : 'var(--accent)'}
                  fillOpacity={h.count === 0 ? 1 : 0.25 + (0.75 * h.count) / maxHeat}
                />
              ))}
            </Scatter>
          </ScatterChart>
        </ResponsiveContainer>
      </Figure>

      <Figure
        title="Due in the next 30 days"
        summary={`${forecastTotal} review${forecastTotal === 1 ? ' is' : 's are'} due in the next 30 days; ${stats.forecast[0]?.count ?? 0} today (overdue included).`}
        table={{ head: ['Date', 'Cards due'], rows: stats.forecast.map((d) => [d.date, d.count]) }}
      >
        <Bars data={stats.forecast} x="date" xFormat={short} series={[{ key: 'count', name: 'cards due', fill: 'var(--accent)' }]} />
      </Figure>

      <Figure
        title="True retention, last 30 days"
        summary={`${retentionSaid}; ${learner ? 'their desired retention is' : 'you asked for'} ${desiredPct}%.`}
        table={{
          head: ['Part', 'Reviews', 'Recalled', 'Retention'],
          rows: retentionRows.map((r) => [r.name, r.reviews, r.recalled, pct(r.recalled, r.reviews)]),
        }}
      >
        <ResponsiveContainer>
          <BarChart data={retentionRows} layout="vertical" margin={{ top: 22, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--border)" horizontal={false} />
            <XAxis type="number" domain={[0, 100]} unit="%" {...AXIS} />
            <YAxis type="category" dataKey="name" width={110} {...AXIS} />
            <Tooltip {...TOOLTIP} />
            <ReferenceLine
              x={desiredPct}
              stroke="var(--danger)"
              strokeDasharray="4 3"
              label={{ value: `desired ${desiredPct}%`, fill: 'var(--muted)', fontSize: 11, position: 'top' }}
            />
            <Bar dataKey="rate" name="retention %" fill="var(--accent)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </Figure>

      <Figure
        title="Cards by state"
        summary={`${stateRows.map((s) => `${s.value} ${s.name.toLowerCase()}`).join(', ')}; ${stats.states.leeches} leech${stats.states.leeches === 1 ? '' : 'es'}.`}
        table={{ head: ['State', 'Cards'], rows: [...stateRows.map((s) => [s.name, s.value]), ['Leeches', stats.states.leeches]] }}
      >
        {/* Lying bars: "Relearning" and "Suspended" side by side under standing bars collide on a phone. */}
        <ResponsiveContainer>
          <BarChart data={stateRows} layout="vertical" margin={{ ...MARGIN, right: 16 }} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--border)" horizontal={false} />
            <XAxis type="number" allowDecimals={false} {...AXIS} />
            <YAxis type="category" dataKey="name" width={84} interval={0} {...AXIS} />
            <Tooltip {...TOOLTIP} />
            <Bar dataKey="value" name="cards" fill="var(--focus)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </Figure>

      <Figure
        title="Reviews and minutes per day"
        summary={`${reviews30} review${reviews30 === 1 ? '' : 's'} in ${minutes30} minute${minutes30 === 1 ? '' : 's'} over the last 30 days.`}
        table={{ head: ['Date', 'Reviews', 'Minutes'], rows: stats.daily.map((d) => [d.date, d.reviews, d.minutes]) }}
      >
        <ResponsiveContainer>
          <BarChart data={stats.daily} margin={MARGIN} accessibilityLayer={false}>
            <CartesianGrid stroke="var(--border)" vertical={false} />
            <XAxis dataKey="date" tickFormatter={short} {...AXIS} interval="preserveStartEnd" />
            <YAxis yAxisId="r" allowDecimals={false} width={34} {...AXIS} />
            <YAxis yAxisId="m" orientation="right" width={34} {...AXIS} />
            <Tooltip {...TOOLTIP} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar yAxisId="r" dataKey="reviews" name="reviews" fill="var(--accent)" isAnimationActive={false} />
            <Bar yAxisId="m" dataKey="minutes" name="minutes" fill="var(--focus)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </Figure>
    </div>
  );
}
