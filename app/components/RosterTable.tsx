'use client';

import Link from 'next/link';
import { useMemo, useState } from 'react';
import type { LearnerLab, LearnerRow } from '@/lib/cohorts/dashboard';

/**
 * The cohort roster: one row per learner, sortable by any column (a button in each header) and
 * filterable by name or email, by flag and by lab status. On a phone each row becomes a card
 * (table-cards), so even 300 learners never widen the page.
 */

type SortKey = 'name' | 'activity' | 'streak' | 'reviews' | 'retention' | 'overdue' | 'lessons' | 'quiz' | 'grade' | 'flags';

const retentionOf = (l: LearnerRow) => (l.retention.reviews === 0 ? -1 : l.retention.recalled / l.retention.reviews);
const KEYS: Record<SortKey, (l: LearnerRow) => number | string> = {
  name: (l) => l.name.toLowerCase(),
  activity: (l) => (l.lastActivity ? Date.parse(l.lastActivity) : 0),
  streak: (l) => l.streak,
  reviews: (l) => l.reviewsPerDay,
  retention: retentionOf,
  overdue: (l) => l.overdueCards,
  lessons: (l) => l.lessonsRead,
  quiz: (l) => l.quizFirstTry ?? -1,
  grade: (l) => l.grade.total,
  flags: (l) => l.flags.length,
};

const pct = (x: number) => `${Math.round(x * 100)}%`;
const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });
const minutes = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);
const STATUS_LABEL: Record<LearnerLab['status'], string> = { 'not-started': 'Not started', 'in-progress': 'In progress', passed: 'Passed' };

function relative(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const days = Math.floor((now - Date.parse(iso)) / 86_400_000);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  return `${days} days ago`;
}

export function RosterTable({
  cohortId,
  learners,
  labs,
  lessonsTotal,
  asOf,
}: {
  cohortId: string;
  learners: LearnerRow[];
  labs: { labId: string; title: string; graded: boolean }[];
  lessonsTotal: number;
  asOf: string;
}) {
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'flags', dir: -1 });
  const [text, setText] = useState('');
  const [flagged, setFlagged] = useState(false);
  const [labFilter, setLabFilter] = useState('');
  const now = Date.parse(asOf);

  const rows = useMemo(() => {
    const q = text.trim().toLowerCase();
    const [labId, status] = labFilter.split(':');
    const out = learners.filter(
      (l) =>
        (!q || l.name.toLowerCase().includes(q) || l.email.toLowerCase().includes(q)) &&
        (!flagged || l.flags.length > 0) &&
        (!labFilter || l.labs.some((x) => x.labId === labId && x.status === status)),
    );
    const key = KEYS[sort.key];
    return out.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name)) * sort.dir;
    });
  }, [learners, text, flagged, labFilter, sort]);

  const header = (key: SortKey, label: string, className?: string) => (
    <th scope="col" className={className} aria-sort={sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined}>
      <button
        type="button"
        className="sort-button"
        onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : key === 'name' ? 1 : -1 }))}
      >
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  return (
    <section className="stack" aria-labelledby="roster-h">
      <h2 id="roster-h">Roster</h2>
      <div className="roster-filters">
        <label className="filter">
          <span>Find</span>
          <input className="input" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Name or email" />
        </label>
        <label className="filter">
          <span>Lab</span>
          <select className="input" value={labFilter} onChange={(e) => setLabFilter(e.target.value)}>
            <option value="">Any status</option>
            {labs.flatMap((l) =>
              (['passed', 'in-progress', 'not-started'] as const).map((s) => (
                <option key={`${l.labId}:${s}`} value={`${l.labId}:${s}`}>
                  {l.title}: {STATUS_LABEL[s].toLowerCase()}
                </option>
              )),
            )}
          </select>
        </label>
        <label className="filter filter-check">
          <input type="checkbox" checked={flagged} onChange={(e) => setFlagged(e.target.checked)} /> Only flagged learners
        </label>
        <label className="filter">
          <span>Sort by</span>
          <select
            className="input"
            value={sort.key}
            onChange={(e) => setSort({ key: e.target.value as SortKey, dir: e.target.value === 'name' ? 1 : -1 })}
          >
            <option value="flags">Flags</option>
            <option value="name">Name</option>
            <option value="activity">Last activity</option>
            <option value="streak">Streak</option>
            <option value="reviews">Reviews per day</option>
            <option value="retention">Retention</option>
            <option value="overdue">Overdue cards</option>
            <option value="lessons">Lessons read</option>
            <option value="quiz">Quiz first-try</option>
            <option value="grade">Grade</option>
          </select>
        </label>
      </div>
      <p className="muted" role="status" data-testid="roster-count">
        {rows.length} of {learners.length} learner{learners.length === 1 ? '' : 's'}
      </p>
      <div className="table-wrap roster-wrap">
        <table className="table-cards roster">
          <caption className="sr-only">Learners of the cohort, one row each</caption>
          <thead>
            <tr>
              {header('name', 'Learner')}
              {header('activity', 'Last activity')}
              {header('streak', 'Streak', 'num')}
              {header('reviews', 'Reviews / day', 'num')}
              {header('retention', 'Retention', 'num')}
              {header('overdue', 'Overdue', 'num')}
              {header('lessons', 'Lessons', 'num')}
              {header('quiz', 'Quizzes', 'num')}
              {labs.map((l) => (
                <th key={l.labId} scope="col">
                  {l.title}
                </th>
              ))}
              {header('grade', 'Grade', 'num')}
            </tr>
          </thead>
          <tbody>
            {rows.map((l) => (
              <tr key={l.userId} data-testid={`roster-${l.email}`}>
                <td data-label="Learner">
                  <Link href={`/instructor/cohorts/${cohortId}/learners/${l.userId}`}>{l.name}</Link>
                  <div className="muted">{l.email}</div>
                  {l.flags.length > 0 && (
                    <ul className="flag-list">
                      {l.flags.map((f) => (
                        <li key={f.reason} className={`flag flag-${f.kind}`}>
                          {f.reason}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td data-label="Last activity">
                  {l.lastActivity ? (
                    <time dateTime={l.lastActivity} title={dateFmt.format(new Date(l.lastActivity))}>
                      {relative(l.lastActivity, now)}
                    </time>
                  ) : (
                    'never'
                  )}
                </td>
                <td className="num" data-label="Streak">
                  <span>
                    {l.streakAtLeast ? '≥ ' : ''}
                    {l.streak} d
                  </span>
                </td>
                <td className="num" data-label="Reviews / day">
                  <span>
                    {l.reviewsPerDay}
                    <span className="muted"> ({l.reviews} in 30 d)</span>
                  </span>
                </td>
                <td className="num" data-label="Retention">
                  <span>
                    {l.retention.reviews === 0 ? '—' : pct(l.retention.recalled / l.retention.reviews)}
                    <span className="muted"> / {pct(l.desiredRetention)}</span>
                  </span>
                </td>
                <td className="num" data-label="Overdue">
                  {l.overdueCards}
                </td>
                <td className="num" data-label="Lessons">
                  {l.lessonsRead}/{lessonsTotal}
                </td>
                <td className="num" data-label="Quizzes">
                  {l.quizWalks === 0 ? '—' : `${l.quizWalks} · ${pct(l.quizFirstTry ?? 0)}`}
                </td>
                {l.labs.map((x) => {
                  const title = labs.find((y) => y.labId === x.labId)?.title ?? x.labId;
                  return (
                    <td key={x.labId} data-label={title} data-testid={`lab-${x.labId}`}>
                      <span>
                        <span className={`check-status check-${x.status}`}>{STATUS_LABEL[x.status]}</span>
                        {x.attempts > 0 && (
                          <span className="muted">
                            {' '}
                            · {x.attempts} check{x.attempts === 1 ? '' : 's'} · {minutes(x.timeMs)}
                          </span>
                        )}
                        {x.late && <span className="late"> · late</span>}
                      </span>
                    </td>
                  );
                })}
                <td className="num" data-label="Grade">
                  <span>
                    {l.grade.total}/{l.grade.possible}
                    <span className="muted"> ({l.grade.percent}%)</span>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
