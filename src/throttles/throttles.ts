// The two throttles of the server and what a trip leaves behind: one audit event per limit
// and window (the client or account and the address; never a secret or a password).
import { createHash } from "node:crypto";
import { audit } from "../audit/record.ts";
import type { Config } from "../config/index.ts";
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/url.ts";
import { publicId } from "../ids.ts";
import { openCounterStore, type CounterStore } from "./counters.ts";
import { FailureThrottle, type StoreHealth, type ThrottleTrip } from "./failure-throttle.ts";

export interface ClientAttempt {
  clientId: string;
  /** The registered application behind client_id, when there is one. */
  applicationId: string | null;
  organizationId: string | null;
}

export interface SignInAttempt {
  /** Trimmed and lower-cased. */
  email: string;
  /** The organization of the application the person is signing in to, when there is one. */
  organizationId: string | null;
}

export interface UserCodeAttempt {
  /** The organization of the application whose code was entered, when the code was one. */
  organizationId: string | null;
}

export interface Throttles {
  store: CounterStore["kind"];
  /** Failed client authentications at /oauth/token, /oauth/revoke and /oauth/introspect. */
  clientAuthentication: FailureThrottle<ClientAttempt>;
  /** Failed sign-ins on the sign-in page. */
  signIn: FailureThrottle<SignInAttempt>;
  /** Wrong user codes at the device verification page, per address and per browser session. */
  deviceCode: FailureThrottle<UserCodeAttempt>;
  /** "Forgot password?" requests: each one counts, per address and per account, with the sign-in limits. */
  passwordReset: FailureThrottle<SignInAttempt>;
  /** Attempts refused because the store could not count them, per throttle, since start. */
  storeFailures: Map<string, number>;
  /** Where the one line per outage goes (the server's logger; stderr until it is set). */
  setLog(log: (line: string) => void): void;
  close(): Promise<void>;
}

/** An account's counter key: a digest, so the shared store holds no email address. */
export function accountKey(email: string): string {
  return createHash("sha256").update(email).digest("base64url");
}

export async function createThrottles(config: Config, db: Db, provider: Provider): Promise<Throttles> {
  const store = await openCounterStore(config, provider);

  // An audit write that fails must not turn a 429 into a 500: the refusal matters more.
  const record = async (write: () => Promise<void>) => {
    await write().catch(() => undefined);
  };

  const clientTrip = ({ limit, keys, failures, windowSeconds, context }: ThrottleTrip<ClientAttempt>) =>
    record(() =>
      audit(db, null, context.organizationId, "client_authentication.throttled", limit === "subject" ? context.clientId : keys.address, {
        limit: limit === "subject" ? "client" : "address",
        clientId: context.clientId,
        ...(context.applicationId ? { applicationId: publicId("ConnectApplication", context.applicationId) } : {}),
        address: keys.address,
        failures,
        windowSeconds,
      }),
    );

  const accountTrip = (action: string) => ({ limit, keys, failures, windowSeconds, context }: ThrottleTrip<SignInAttempt>) =>
    record(async () => {
      const user = context.email ? await db.user.findUnique({ where: { email: context.email }, select: { id: true } }) : null;
      const account = user ? publicId("User", user.id) : context.email;
      await audit(db, null, context.organizationId, action, limit === "subject" ? account : keys.address, {
        limit: limit === "subject" ? "account" : "address",
        email: context.email,
        ...(user ? { userId: account } : {}),
        address: keys.address,
        failures,
        windowSeconds,
      });
    });

  const deviceTrip = ({ limit, keys, failures, windowSeconds, context }: ThrottleTrip<UserCodeAttempt>) =>
    record(() =>
      audit(db, null, context.organizationId, "device_code.throttled", keys.address, {
        limit: limit === "subject" ? "session" : "address",
        address: keys.address,
        failures,
        windowSeconds,
      }),
    );

  // One log line per outage (the first refusal after a count that worked), not one per request.
  const storeFailures = new Map<string, number>();
  let log = (line: string) => console.error(line);
  let down = false;
  const health: StoreHealth = {
    counted() {
      if (!down) return;
      down = false;
      log(`throttle store (${store.kind}) answers again: counting resumed`);
    },
    failed(throttle, error) {
      storeFailures.set(throttle, (storeFailures.get(throttle) ?? 0) + 1);
      if (down) return;
      down = true;
      const cause = error instanceof Error ? error.message : String(error);
      log(`throttle store (${store.kind}) unreachable: refusing (429) the attempts it cannot count until it answers again; first failure: ${cause}`);
    },
  };
  return {
    store: store.kind,
    clientAuthentication: new FailureThrottle("client_authentication", config.throttles.clientAuthentication, store, clientTrip, health),
    signIn: new FailureThrottle("sign_in", config.throttles.signIn, store, accountTrip("sign_in.throttled"), health),
    passwordReset: new FailureThrottle("password_reset", config.throttles.signIn, store, accountTrip("password_reset.throttled"), health),
    deviceCode: new FailureThrottle("device_code", config.throttles.deviceCode, store, deviceTrip, health),
    storeFailures,
    setLog(next) {
      log = next;
    },
    close: () => store.close(),
  };
}
