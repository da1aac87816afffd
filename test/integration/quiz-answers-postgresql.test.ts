import { onPostgres } from '../helpers/postgres-suite';
import { quizAnswersSuite } from './quiz-answers-suite';

await onPostgres(() => quizAnswersSuite('postgresql'));
