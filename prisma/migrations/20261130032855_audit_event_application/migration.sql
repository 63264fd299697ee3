-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "applicationId" TEXT;

-- CreateIndex
CREATE INDEX "AuditEvent_applicationId_createdAt_idx" ON "AuditEvent"("applicationId", "createdAt");
