import { cohortDashboardSuite } from './cohort-dashboard-suite';

cohortDashboardSuite('sqlite');
