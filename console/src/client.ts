// The console's GraphQL client: urql over /graphql only, with the in-memory access token. A 401
// renews the token once with the refresh token and retries; when that fails, sign in again.
import { Client, cacheExchange, fetchExchange } from "urql";
import { currentAccessToken, renew, signIn } from "./auth.ts";

async function authorizedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const send = (token: string | null) => {
    const headers = new Headers(init.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  let response = await send(currentAccessToken());
  if (response.status === 401) {
    const token = await renew();
    if (!token) await signIn();
    response = await send(token);
  }
  return response;
}

export const client = new Client({
  url: "/graphql",
  exchanges: [cacheExchange, fetchExchange],
  fetch: authorizedFetch,
  preferGetMethod: false,
  requestPolicy: "cache-and-network",
});
