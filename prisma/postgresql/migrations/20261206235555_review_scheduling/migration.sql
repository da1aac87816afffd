/*
  Warnings:

  - Added the required column `previousCard` to the `ReviewLog` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "CardState" ADD COLUMN     "leech" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "suspendedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "ReviewLog" ADD COLUMN     "previousCard" TEXT NOT NULL;

-- AlterTable
ALTER TABLE "UserSettings" ADD COLUMN     "dayStartHour" INTEGER NOT NULL DEFAULT 4,
ADD COLUMN     "leechAction" TEXT NOT NULL DEFAULT 'tag',
ADD COLUMN     "leechThreshold" INTEGER NOT NULL DEFAULT 8,
ADD COLUMN     "maximumInterval" INTEGER NOT NULL DEFAULT 36500,
ADD COLUMN     "reviewsPerDay" INTEGER NOT NULL DEFAULT 200;
