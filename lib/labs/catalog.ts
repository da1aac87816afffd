import { type LabDefinition, labCatalog } from '@/lib/content';
import { AppError } from '@/lib/errors';

/** Every lab of the course (labs/*), sorted by id. */
export function listLabs(): LabDefinition[] {
  return labCatalog();
}

/** One lab, or `not_found`. */
export function getLab(labId: string): LabDefinition {
  const lab = labCatalog().find((l) => l.id === labId);
  if (!lab) throw new AppError('not_found', `There is no lab "${labId}".`);
  return lab;
}
