// The ops console at `/console`, for admins only: anyone else (signed out, or a customer) gets
// the sign-in page. The super admin also sees the staff and the audit log. Sections: the live order board, live alerts, health and dead letters,
// live analytics, catalog editing, the category tree, coupons, returns handling, reviews moderation, the support queue,
// assistant statistics.

import { render } from "preact";
import { useState } from "preact/hooks";
import { isStaff, signIn, signOut } from "../api";
import { navigate, useLocation } from "../router";
import { ErrorNote, Field, Link, useSession } from "../ui";
import "../styles.css";
import { Alerts } from "./alerts";
import { Analytics } from "./analytics";
import { AssistantStats } from "./assistant";
import { Board } from "./board";
import { CatalogEditor } from "./catalog";
import { CategoriesDesk } from "./categories";
import { LocationsDesk } from "./locations";
import { Coupons } from "./coupons";
import { Health } from "./health";
import { ReturnsDesk } from "./returns";
import { ReviewsDesk } from "./reviews";
import { Shoppers } from "./shoppers";
import { StaffDesk } from "./staff";
import { SupportDesk } from "./support";

const SECTIONS: [string, string][] = [
  ["/console", "Orders"],
  ["/console/alerts", "Alerts"],
  ["/console/health", "Health"],
  ["/console/analytics", "Analytics"],
  ["/console/shoppers", "Shoppers"],
  ["/console/catalog", "Catalog"],
  ["/console/categories", "Categories"],
  ["/console/locations", "Locations"],
  ["/console/coupons", "Coupons"],
  ["/console/returns", "Returns"],
  ["/console/reviews", "Reviews"],
  ["/console/support", "Support"],
  ["/console/assistant", "Assistant"],
];

/** Only the super admin's: the staff and the audit log. */
const OWNER_SECTIONS: [string, string][] = [["/console/staff", "Staff"]];

function AdminSignIn({ customer }: { customer: boolean }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="narrow-page">
      <h1>Sign in to the ops console</h1>
      {customer && (
        <p class="error" role="alert">
          The console is for administrators. Sign in with an administrator account.
        </p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const session = await signIn(email.trim(), password);
            if (!isStaff(session.role)) setError(null);
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
        <a href="/">Back to the shop</a>
      </p>
    </main>
  );
}

function Console() {
  const url = useLocation();
  const session = useSession();
  if (!session || !isStaff(session.role)) return <AdminSignIn customer={!!session} />;
  const path = url.pathname.replace(/\/$/, "") || "/console";
  let section;
  if (path === "/console/alerts") section = <Alerts />;
  else if (path === "/console/health") section = <Health />;
  else if (path === "/console/analytics") section = <Analytics />;
  else if (path === "/console/shoppers") section = <Shoppers />;
  else if (path === "/console/catalog") section = <CatalogEditor />;
  else if (path === "/console/categories") section = <CategoriesDesk />;
  else if (path === "/console/locations") section = <LocationsDesk />;
  else if (path === "/console/coupons") section = <Coupons />;
  else if (path === "/console/returns") section = <ReturnsDesk />;
  else if (path === "/console/reviews") section = <ReviewsDesk />;
  else if (path === "/console/support") section = <SupportDesk />;
  else if (path === "/console/assistant") section = <AssistantStats />;
  else if (path === "/console/staff" && session.role === "super_admin") section = <StaffDesk />;
  else section = <Board />;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top console">
        <Link href="/console" class="brand">
          Ops console
        </Link>
        <nav aria-label="Console">
          {[...SECTIONS, ...(session.role === "super_admin" ? OWNER_SECTIONS : [])].map(([href, text]) => (
            <Link key={href} href={href} aria-current={path === href ? "page" : undefined}>
              {text}
            </Link>
          ))}
          <a href="/">Shop</a>
          <span class="who" data-testid="who">
            {session.customer.name}
          </span>
          <button
            class="link"
            onClick={async () => {
              await signOut();
              navigate("/console");
            }}
          >
            Sign out
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {section}
      </main>
    </>
  );
}

render(<Console />, document.getElementById("app")!);
