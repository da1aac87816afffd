import { authSuite } from './auth-suite';

authSuite('sqlite');
