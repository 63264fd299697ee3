-- AlterTable
ALTER TABLE "ConnectApplication" ADD COLUMN     "jwks" TEXT,
ADD COLUMN     "jwksUri" TEXT,
ADD COLUMN     "requireDpop" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "tokenEndpointAuthMethod" TEXT;

-- AlterTable
ALTER TABLE "RefreshToken" ADD COLUMN     "dpopJkt" TEXT;

-- CreateTable
CREATE TABLE "UsedJti" (
    "key" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UsedJti_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "UsedJti_expiresAt_idx" ON "UsedJti"("expiresAt");
