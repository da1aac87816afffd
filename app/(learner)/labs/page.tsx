import type { Metadata } from 'next';
import Link from 'next/link';
import { ProgressBar } from '@/app/components/ProgressBar';
import { RefreshWhile } from '@/app/components/RefreshWhile';
import { requireViewerForPage } from '@/lib/auth';
import type { LabDefinition } from '@/lib/content';
import { getCourse } from '@/lib/course';
import { type LabProgress, labProgress, labsPreparing, labsUnavailableReason, listLabs } from '@/lib/labs';
import { splitLessonRef } from '@/lib/schema';

export const metadata: Metadata = { title: 'Labs' };

interface LabGroup {
  key: string;
  title: string;
  labs: LabDefinition[];
}

/**
 * Labs grouped by the course part they practise (the part of their first lesson), in course order;
 * labs that practise no lesson (the sandbox) come last.
 */
function groupByPart(labs: readonly LabDefinition[]): LabGroup[] {
  const course = getCourse();
  const partOfLesson = new Map(course.lessons.map((l) => [l.id, l.part]));
  const groups: LabGroup[] = course.parts.map((p) => ({ key: p.id, title: p.title, labs: [] }));
  const sandbox: LabGroup = { key: 'sandbox', title: 'Sandbox', labs: [] };
  for (const lab of labs) {
    const first = lab.lessons[0];
    const part = first ? partOfLesson.get(splitLessonRef(first).lessonId) : undefined;
    (groups.find((g) => g.key === part) ?? sandbox).labs.push(lab);
  }
  return [...groups, sandbox].filter((g) => g.labs.length > 0);
}

export default async function LabsPage() {
  const viewer = await requireViewerForPage();
  const [labs, unavailable, preparing, progress] = await Promise.all([
    Promise.resolve(listLabs()),
    labsUnavailableReason(),
    labsPreparing(),
    labProgress(viewer.id),
  ]);
  const lessons = new Map(getCourse().lessons.map((l) => [l.id, l]));
  const groups = groupByPart(labs);
  return (
    <div className="stack">
      <RefreshWhile active={preparing} />
      <div>
        <h1>Labs</h1>
        <p className="page-lead">
          Real Linux VMs — x86_64 and ARM64 — in your browser. Each session is yours alone, has no network, and is reset on demand. A Check
          measures the machine itself — /proc, perf, strace, the disk after a power cut — and shows the evidence it read.
        </p>
      </div>
      {unavailable && (
        <p className="notice" role="status" data-testid="labs-unavailable">
          {unavailable}
        </p>
      )}
      {groups.map((g) => (
        <section key={g.key} aria-labelledby={`labs-${g.key}`} className="labs-group" data-testid="labs-group">
          <h2 id={`labs-${g.key}`}>{g.title}</h2>
          <ul className="lesson-list labs-list">
            {g.labs.map((lab) => (
              <LabItem key={lab.id} lab={lab} progress={progress.get(lab.id)} lessons={lessons} />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

function LabItem({
  lab,
  progress,
  lessons,
}: {
  lab: LabDefinition;
  progress: LabProgress | undefined;
  lessons: Map<string, { title: string }>;
}) {
  const tasks = lab.tasks.length;
  const passed = progress?.passedTasks.filter((t) => lab.tasks.some((x) => x.id === t)).length ?? 0;
  const practised = [...new Map(lab.lessons.map((ref) => [splitLessonRef(ref).lessonId, ref])).values()];
  return (
    <li data-testid="lab-item" data-lab-id={lab.id}>
      <Link href={`/labs/${lab.id}`} className="lesson-link">
        <span className="lesson-title">{lab.title}</span>
        <span className="muted lesson-meta">
          {lab.arches.join(' · ')}
          {lab.minutes ? ` · about ${lab.minutes} min` : ''}
          {tasks > 0 ? ` · ${tasks} task${tasks === 1 ? '' : 's'}` : ''}
        </span>
      </Link>
      {tasks > 0 && (
        <div className="lab-progress" data-testid="lab-progress">
          <ProgressBar value={passed} max={tasks} label={`${lab.title}: ${passed} of ${tasks} tasks passed`} />
          <span className="muted">
            {!progress
              ? 'Not started'
              : passed === tasks
                ? `Passed · ${progress.checks} Check${progress.checks === 1 ? '' : 's'}`
                : `Best: ${passed} of ${tasks} tasks passed · ${progress.checks} Check${progress.checks === 1 ? '' : 's'}`}
          </span>
        </div>
      )}
      {practised.length > 0 && (
        <p className="muted lesson-summary">
          Practises{' '}
          {practised.map((ref, i) => {
            const { lessonId, anchor } = splitLessonRef(ref);
            return (
              <span key={ref}>
                {i > 0 && (i === practised.length - 1 ? ' and ' : ', ')}
                <Link href={`/learn/${lessonId}#${anchor}`}>{lessons.get(lessonId)?.title ?? lessonId}</Link>
              </span>
            );
          })}
          .
        </p>
      )}
    </li>
  );
}
