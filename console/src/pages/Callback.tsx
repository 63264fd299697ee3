import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { completeSignIn, signIn } from "../auth.ts";

/** /console/callback: finishes the authorization code flow, then goes where the person was headed. */
export function Callback() {
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return; // StrictMode runs effects twice; a code is single-use
    started.current = true;
    const denied = new URLSearchParams(window.location.search).get("error_description");
    if (denied) {
      setError(denied);
      return;
    }
    completeSignIn()
      .then((to) => navigate(to.replace(/^\/console/, "") || "/", { replace: true }))
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [navigate]);
  return (
    <main className="center-card">
      {error ? (
        <>
          <h1>Sign-in did not complete</h1>
          <p role="alert">{error}</p>
          <button className="primary" type="button" onClick={() => void signIn("/console/")}>
            Sign in again
          </button>
        </>
      ) : (
        <p aria-live="polite">Signing you in…</p>
      )}
    </main>
  );
}
