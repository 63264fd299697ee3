-- CreateTable
CREATE TABLE "RegistrationToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "organizationId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "maxUses" INTEGER NOT NULL,
    "usesLeft" INTEGER NOT NULL,
    "createdBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    CONSTRAINT "RegistrationToken_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ClientRegistration" (
    "applicationId" TEXT NOT NULL PRIMARY KEY,
    "accessTokenHash" TEXT NOT NULL,
    "registrationTokenId" TEXT,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ClientRegistration_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "ConnectApplication" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ConnectApplication" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL,
    "organizationId" TEXT,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "applicationType" TEXT NOT NULL,
    "platform" TEXT,
    "usesPkce" BOOLEAN NOT NULL DEFAULT false,
    "isFirstParty" BOOLEAN NOT NULL DEFAULT false,
    "clientCode" TEXT,
    "logoUri" TEXT,
    "termsOfServiceUri" TEXT,
    "privacyPolicyUri" TEXT,
    "visibility" TEXT NOT NULL DEFAULT 'PRIVATE',
    "onBehalfOfEnabled" BOOLEAN NOT NULL DEFAULT false,
    "tokenExchangeEnabled" BOOLEAN NOT NULL DEFAULT false,
    "tokenExchangeAccessTokenTtl" INTEGER NOT NULL DEFAULT 3600,
    "onBehalfOfNamedSubjects" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "registeredDynamically" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "ConnectApplication_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ConnectApplication" ("applicationType", "clientCode", "clientId", "createdAt", "description", "id", "isFirstParty", "logoUri", "name", "onBehalfOfEnabled", "onBehalfOfNamedSubjects", "organizationId", "platform", "privacyPolicyUri", "termsOfServiceUri", "tokenExchangeAccessTokenTtl", "tokenExchangeEnabled", "updatedAt", "usesPkce", "visibility") SELECT "applicationType", "clientCode", "clientId", "createdAt", "description", "id", "isFirstParty", "logoUri", "name", "onBehalfOfEnabled", "onBehalfOfNamedSubjects", "organizationId", "platform", "privacyPolicyUri", "termsOfServiceUri", "tokenExchangeAccessTokenTtl", "tokenExchangeEnabled", "updatedAt", "usesPkce", "visibility" FROM "ConnectApplication";
DROP TABLE "ConnectApplication";
ALTER TABLE "new_ConnectApplication" RENAME TO "ConnectApplication";
CREATE UNIQUE INDEX "ConnectApplication_clientId_key" ON "ConnectApplication"("clientId");
CREATE UNIQUE INDEX "ConnectApplication_clientCode_key" ON "ConnectApplication"("clientCode");
CREATE INDEX "ConnectApplication_organizationId_createdAt_idx" ON "ConnectApplication"("organizationId", "createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "RegistrationToken_tokenHash_key" ON "RegistrationToken"("tokenHash");

-- CreateIndex
CREATE INDEX "RegistrationToken_organizationId_createdAt_idx" ON "RegistrationToken"("organizationId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ClientRegistration_accessTokenHash_key" ON "ClientRegistration"("accessTokenHash");
