import { onPostgres } from '../helpers/postgres-suite';
import { cohortPermissionsSuite } from './cohort-permissions-suite';

await onPostgres(() => cohortPermissionsSuite('postgresql'));
