-- CreateTable
CREATE TABLE "LabAttempt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "labId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "arch" TEXT NOT NULL,
    "checkedAt" DATETIME NOT NULL,
    "passed" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "hintsUsed" INTEGER NOT NULL,
    "timeSpentMs" INTEGER NOT NULL,
    "results" TEXT NOT NULL,
    CONSTRAINT "LabAttempt_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "LabAttempt_userId_labId_checkedAt_idx" ON "LabAttempt"("userId", "labId", "checkedAt");
