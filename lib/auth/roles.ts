import { z } from 'zod';

/** Roles, least to most privileged. Stored as a string on User.role. */
export const ROLES = ['student', 'instructor', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** The signed-in user as the rest of the app sees it. */
export interface Viewer {
  id: string;
  email: string;
  name: string;
  role: Role;
}
