import { cohortPermissionsSuite } from './cohort-permissions-suite';

cohortPermissionsSuite('sqlite');
