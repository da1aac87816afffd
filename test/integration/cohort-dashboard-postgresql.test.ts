import { onPostgres } from '../helpers/postgres-suite';
import { cohortDashboardSuite } from './cohort-dashboard-suite';

await onPostgres(() => cohortDashboardSuite('postgresql'));
