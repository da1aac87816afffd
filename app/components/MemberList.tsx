'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });

/** The cohort's members, each with a Remove button (asks first). */
export function MemberList({
  cohortId,
  members,
}: {
  cohortId: string;
  members: { userId: string; name: string; email: string; joinedAt: string }[];
}) {
  const router = useRouter();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');
  if (members.length === 0) return <p className="notice">Nobody has joined yet. Share the join code.</p>;
  return (
    <>
      <div className="table-wrap">
        <table className="table-cards">
          <caption className="sr-only">Members</caption>
          <thead>
            <tr>
              <th scope="col">Learner</th>
              <th scope="col">Joined</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.userId}>
                <td data-label="Learner">
                  <Link href={`/instructor/cohorts/${cohortId}/learners/${m.userId}`}>{m.name}</Link>
                  <div className="muted">{m.email}</div>
                </td>
                <td data-label="Joined">{dateFmt.format(new Date(m.joinedAt))}</td>
                <td data-label="">
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={busy === m.userId}
                    onClick={async () => {
                      if (!window.confirm(`Remove ${m.name} from the cohort? Their own progress stays theirs.`)) return;
                      setBusy(m.userId);
                      setError('');
                      try {
                        await api.delete(`/api/instructor/cohorts/${cohortId}/members/${m.userId}`);
                        router.refresh();
                      } catch (e) {
                        setError(errorMessage(e));
                      } finally {
                        setBusy('');
                      }
                    }}
                  >
                    Remove <span className="sr-only">{m.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error && <p className="field-error">{error}</p>}
      <p className="muted">A removed learner can join again while the code works: replace the code if that should not happen.</p>
    </>
  );
}
