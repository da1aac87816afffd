-- CreateTable
CREATE TABLE "UndoneReview" (
    "clientReviewId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "undoneAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UndoneReview_pkey" PRIMARY KEY ("clientReviewId")
);

-- AddForeignKey
ALTER TABLE "UndoneReview" ADD CONSTRAINT "UndoneReview_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
