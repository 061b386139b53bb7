// Sign-in and sign-up: on success, back to where the person was going (`?next=`).

import { useState } from "preact/hooks";
import { signIn, signUp } from "../api";
import { navigate } from "../router";
import { ErrorNote, Field, Link } from "../ui";

function next(url: URL): string {
  const to = url.searchParams.get("next") ?? "/";
  // Only paths of this site: never an address elsewhere.
  return to.startsWith("/") && !to.startsWith("//") ? to : "/";
}

export function SignIn({ url }: { url: URL }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="narrow-page" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      {url.searchParams.get("erased") && (
        <p role="status">Your account was deleted. Thank you for shopping with us.</p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await signIn(email.trim(), password);
            navigate(next(url), true);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Email" name="email" type="email" autocomplete="email" required
          value={email} onInput={setEmail} />
        <Field label="Password" name="password" type="password" required
          autocomplete="current-password" value={password} onInput={setPassword} />
        <ErrorNote error={error} />
        <button class="primary" type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        New here? <Link href={`/signup${url.search}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function SignUp({ url }: { url: URL }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="narrow-page" aria-labelledby="signup-title">
      <h1 id="signup-title">Create an account</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await signUp(name.trim(), email.trim(), password);
            navigate(next(url), true);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Name" name="name" autocomplete="name" required value={name}
          onInput={setName} />
        <Field label="Email" name="email" type="email" autocomplete="email" required
          value={email} onInput={setEmail} />
        <Field label="Password (at least 8 characters)" name="password" type="password"
          autocomplete="new-password" required value={password} onInput={setPassword} />
        <ErrorNote error={error} />
        <button class="primary" type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Have an account? <Link href={`/signin${url.search}`}>Sign in</Link>
      </p>
    </section>
  );
}
