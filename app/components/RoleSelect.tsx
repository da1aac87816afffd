'use client';

import { useState } from 'react';
import { api, errorMessage } from '@/lib/api-client';

const ROLES = ['student', 'instructor', 'admin'] as const;

/** An admin's role picker for one user; saves on change. */
export function RoleSelect({ userId, name, role, self }: { userId: string; name: string; role: string; self: boolean }) {
  const [value, setValue] = useState(role);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  return (
    <span className="role-select">
      <select
        className="input"
        aria-label={`Role of ${name}`}
        value={value}
        disabled={self}
        onChange={async (e) => {
          const next = e.target.value;
          const before = value;
          setValue(next);
          setError('');
          setStatus('');
          try {
            await api.put(`/api/admin/users/${userId}/role`, { role: next });
            setStatus('Saved');
          } catch (err) {
            setValue(before);
            setError(errorMessage(err));
          }
        }}
      >
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      {self && <span className="muted"> (you)</span>}
      {status && (
        <span role="status" className="muted">
          {' '}
          {status}
        </span>
      )}
      {error && <span className="field-error"> {error}</span>}
    </span>
  );
}
