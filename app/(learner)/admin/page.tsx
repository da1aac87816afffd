import type { Metadata } from 'next';
import { forbidden } from 'next/navigation';
import { RoleSelect } from '@/app/components/RoleSelect';
import { canAdminister, listUsers, requireViewerForPage } from '@/lib/auth';

export const metadata: Metadata = { title: 'Admin' };

const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' });

export default async function AdminPage() {
  const viewer = await requireViewerForPage();
  if (!canAdminister(viewer)) forbidden();
  const users = await listUsers();
  return (
    <div className="stack">
      <div>
        <h1>Admin</h1>
        <p className="page-lead">
          Roles: a student learns; an instructor also runs cohorts and sees their own cohorts’ learners; an admin also sees every cohort and
          changes roles here. You cannot change your own role.
        </p>
      </div>
      <div className="table-wrap">
        <table className="table-cards">
          <caption className="sr-only">Users and their roles</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Since</th>
              <th scope="col">Role</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid={`user-${u.email}`}>
                <td data-label="User">
                  {u.name}
                  <div className="muted">{u.email}</div>
                </td>
                <td data-label="Since">{dateFmt.format(new Date(u.createdAt))}</td>
                <td data-label="Role">
                  <RoleSelect userId={u.id} name={u.name} role={u.role} self={u.id === viewer.id} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
