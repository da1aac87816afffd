import { quizAnswersSuite } from './quiz-answers-suite';

quizAnswersSuite('sqlite');
