-- CreateTable
CREATE TABLE "PushedAuthorizationRequest" (
    "requestUriHash" TEXT NOT NULL PRIMARY KEY,
    "applicationId" TEXT NOT NULL,
    "params" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PushedAuthorizationRequest_applicationId_fkey" FOREIGN KEY ("applicationId") REFERENCES "ConnectApplication" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "tokenEndpointAuthMethod" TEXT,
    "jwks" TEXT,
    "jwksUri" TEXT,
    "requireDpop" BOOLEAN NOT NULL DEFAULT false,
    "requirePushedAuthorizationRequests" BOOLEAN NOT NULL DEFAULT false,
    "approvedRevision" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "registeredDynamically" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "ConnectApplication_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ConnectApplication" ("applicationType", "approvedRevision", "clientCode", "clientId", "createdAt", "description", "id", "isFirstParty", "jwks", "jwksUri", "logoUri", "name", "onBehalfOfEnabled", "onBehalfOfNamedSubjects", "organizationId", "platform", "privacyPolicyUri", "registeredDynamically", "requireDpop", "termsOfServiceUri", "tokenEndpointAuthMethod", "tokenExchangeAccessTokenTtl", "tokenExchangeEnabled", "updatedAt", "usesPkce", "visibility") SELECT "applicationType", "approvedRevision", "clientCode", "clientId", "createdAt", "description", "id", "isFirstParty", "jwks", "jwksUri", "logoUri", "name", "onBehalfOfEnabled", "onBehalfOfNamedSubjects", "organizationId", "platform", "privacyPolicyUri", "registeredDynamically", "requireDpop", "termsOfServiceUri", "tokenEndpointAuthMethod", "tokenExchangeAccessTokenTtl", "tokenExchangeEnabled", "updatedAt", "usesPkce", "visibility" FROM "ConnectApplication";
DROP TABLE "ConnectApplication";
ALTER TABLE "new_ConnectApplication" RENAME TO "ConnectApplication";
CREATE UNIQUE INDEX "ConnectApplication_clientId_key" ON "ConnectApplication"("clientId");
CREATE UNIQUE INDEX "ConnectApplication_clientCode_key" ON "ConnectApplication"("clientCode");
CREATE INDEX "ConnectApplication_organizationId_createdAt_idx" ON "ConnectApplication"("organizationId", "createdAt");
CREATE UNIQUE INDEX "ConnectApplication_organizationId_name_key" ON "ConnectApplication"("organizationId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "PushedAuthorizationRequest_expiresAt_idx" ON "PushedAuthorizationRequest"("expiresAt");
