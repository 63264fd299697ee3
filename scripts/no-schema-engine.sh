#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded here.
# `prisma generate` only checks that this file exists; anything that would run it should not.
echo "scopekeeper: migrations run through the wasm schema engine: use 'npx scopekeeper migrate' or 'npm run db:create -- NAME'" >&2
exit 1
