-- AlterTable
ALTER TABLE "ConnectApplication" ADD COLUMN "approvedRevision" TEXT;

-- CreateTable
CREATE TABLE "PublicationRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
    "organizationId" TEXT,
    "status" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "notes" TEXT,
    "reason" TEXT,
    "pendingKey" TEXT,
    "baseline" TEXT,
    "proposed" TEXT NOT NULL,
    "requestedBy" TEXT,
    "decidedBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" DATETIME,
    CONSTRAINT "PublicationRequest_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "ConnectApplication" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "PublicationRequest_pendingKey_key" ON "PublicationRequest"("pendingKey");

-- CreateIndex
CREATE INDEX "PublicationRequest_applicationId_createdAt_idx" ON "PublicationRequest"("applicationId", "createdAt");

-- CreateIndex
CREATE INDEX "PublicationRequest_status_createdAt_idx" ON "PublicationRequest"("status", "createdAt");

-- CreateIndex
CREATE INDEX "PublicationRequest_organizationId_createdAt_idx" ON "PublicationRequest"("organizationId", "createdAt");
