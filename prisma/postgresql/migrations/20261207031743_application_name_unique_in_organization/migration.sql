-- An application name is unique in its organization. A database of the previous release may
-- hold duplicates (the check used to be read-then-write): every duplicate but the oldest gets
-- its clientId appended, so the upgrade keeps every application and loses nothing.
UPDATE "ConnectApplication" SET "name" = "name" || ' (' || "clientId" || ')'
WHERE "organizationId" IS NOT NULL AND EXISTS (
  SELECT 1 FROM "ConnectApplication" AS older
  WHERE older."organizationId" = "ConnectApplication"."organizationId"
    AND older."name" = "ConnectApplication"."name"
    AND (older."createdAt" < "ConnectApplication"."createdAt"
      OR (older."createdAt" = "ConnectApplication"."createdAt" AND older."id" < "ConnectApplication"."id"))
);

-- CreateIndex
CREATE UNIQUE INDEX "ConnectApplication_organizationId_name_key" ON "ConnectApplication"("organizationId", "name");
