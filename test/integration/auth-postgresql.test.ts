import { onPostgres } from '../helpers/postgres-suite';
import { authSuite } from './auth-suite';

await onPostgres(() => authSuite('postgresql'));
