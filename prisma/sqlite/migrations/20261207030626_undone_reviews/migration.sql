-- CreateTable
CREATE TABLE "UndoneReview" (
    "clientReviewId" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "undoneAt" DATETIME NOT NULL,
    CONSTRAINT "UndoneReview_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
