-- AlterTable
ALTER TABLE "QuizAttempt" ADD COLUMN     "scenarioId" TEXT;
