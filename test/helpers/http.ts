// Small HTTP helpers over real fetch: OAuth form posts and typed GraphQL operations.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body };
}

export function basic(clientId: string, secret: string): Record<string, string> {
  const enc = (s: string) => encodeURIComponent(s);
  return { authorization: `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString("base64")}` };
}

export async function clientCredentialsToken(baseUrl: string, clientId: string, secret: string, scope: string) {
  const res = await postForm(`${baseUrl}/oauth/token`, { grant_type: "client_credentials", scope }, basic(clientId, secret));
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

export interface GraphQLResult<T> {
  status: number;
  data: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  headers: Headers;
}

export async function graphql<TResult, TVariables>(
  baseUrl: string,
  token: string | null,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
): Promise<GraphQLResult<TResult>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables: variables ?? {} }),
  });
  const json = (await res.json()) as { data: TResult; errors?: GraphQLResult<TResult>["errors"] };
  return { status: res.status, data: json.data, errors: json.errors, headers: res.headers };
}

/** An untyped GraphQL request's `data`; any error fails the test with the whole answer. */
export async function graphqlData(baseUrl: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, any> | null; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(JSON.stringify(body));
  return body.data;
}
