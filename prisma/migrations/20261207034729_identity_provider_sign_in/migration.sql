-- CreateTable
CREATE TABLE "IdentityProviderDomain" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "identityProviderId" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    CONSTRAINT "IdentityProviderDomain_identityProviderId_fkey" FOREIGN KEY ("identityProviderId") REFERENCES "IdentityProvider" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SsoLogin" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "stateHash" TEXT NOT NULL,
    "identityProviderId" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "browserHash" TEXT NOT NULL,
    "returnTo" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    CONSTRAINT "SsoLogin_identityProviderId_fkey" FOREIGN KEY ("identityProviderId") REFERENCES "IdentityProvider" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_IdentityProvider" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "organizationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "jwksUri" TEXT,
    "audience" TEXT NOT NULL,
    "subjectMapping" TEXT NOT NULL,
    "clockSkewSeconds" INTEGER NOT NULL DEFAULT 60,
    "signInEnabled" BOOLEAN NOT NULL DEFAULT false,
    "signInClientId" TEXT,
    "signInClientSecret" TEXT,
    "signInJitRole" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "IdentityProvider_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_IdentityProvider" ("audience", "clockSkewSeconds", "createdAt", "id", "issuer", "jwksUri", "name", "organizationId", "subjectMapping", "updatedAt") SELECT "audience", "clockSkewSeconds", "createdAt", "id", "issuer", "jwksUri", "name", "organizationId", "subjectMapping", "updatedAt" FROM "IdentityProvider";
DROP TABLE "IdentityProvider";
ALTER TABLE "new_IdentityProvider" RENAME TO "IdentityProvider";
CREATE INDEX "IdentityProvider_issuer_idx" ON "IdentityProvider"("issuer");
CREATE UNIQUE INDEX "IdentityProvider_organizationId_name_key" ON "IdentityProvider"("organizationId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "IdentityProviderDomain_domain_key" ON "IdentityProviderDomain"("domain");

-- CreateIndex
CREATE INDEX "IdentityProviderDomain_identityProviderId_idx" ON "IdentityProviderDomain"("identityProviderId");

-- CreateIndex
CREATE UNIQUE INDEX "SsoLogin_stateHash_key" ON "SsoLogin"("stateHash");

-- CreateIndex
CREATE INDEX "SsoLogin_expiresAt_idx" ON "SsoLogin"("expiresAt");
