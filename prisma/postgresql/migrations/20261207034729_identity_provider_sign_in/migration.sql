-- AlterTable
ALTER TABLE "IdentityProvider" ADD COLUMN     "signInClientId" TEXT,
ADD COLUMN     "signInClientSecret" TEXT,
ADD COLUMN     "signInEnabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "signInJitRole" TEXT;

-- CreateTable
CREATE TABLE "IdentityProviderDomain" (
    "id" TEXT NOT NULL,
    "identityProviderId" TEXT NOT NULL,
    "domain" TEXT NOT NULL,

    CONSTRAINT "IdentityProviderDomain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SsoLogin" (
    "id" TEXT NOT NULL,
    "stateHash" TEXT NOT NULL,
    "identityProviderId" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "browserHash" TEXT NOT NULL,
    "returnTo" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "SsoLogin_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "IdentityProviderDomain_domain_key" ON "IdentityProviderDomain"("domain");

-- CreateIndex
CREATE INDEX "IdentityProviderDomain_identityProviderId_idx" ON "IdentityProviderDomain"("identityProviderId");

-- CreateIndex
CREATE UNIQUE INDEX "SsoLogin_stateHash_key" ON "SsoLogin"("stateHash");

-- CreateIndex
CREATE INDEX "SsoLogin_expiresAt_idx" ON "SsoLogin"("expiresAt");

-- AddForeignKey
ALTER TABLE "IdentityProviderDomain" ADD CONSTRAINT "IdentityProviderDomain_identityProviderId_fkey" FOREIGN KEY ("identityProviderId") REFERENCES "IdentityProvider"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SsoLogin" ADD CONSTRAINT "SsoLogin_identityProviderId_fkey" FOREIGN KEY ("identityProviderId") REFERENCES "IdentityProvider"("id") ON DELETE CASCADE ON UPDATE CASCADE;
