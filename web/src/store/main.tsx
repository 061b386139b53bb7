// The storefront: a header with the session, and one page per path. Pages that need a person
// (cart, checkout, orders) send a signed-out visitor to sign in first, and back afterwards.

import { render } from "preact";
import { useEffect } from "preact/hooks";
import { isStaff, signOut } from "../api";
import { track } from "../clicks";
import { navigate, useLocation } from "../router";
import { Link, useSession } from "../ui";
import "../styles.css";
import { SignIn, SignUp } from "./account";
import { CartPage } from "./cart";
import { Checkout } from "./checkout";
import { Catalog } from "./catalog";
import { ProductPage } from "./product";
import { Chat } from "./chat";
import { AccountPage } from "./wallet";
import { OrderPage, Orders } from "./orders";
import { Bell, NotificationsPage } from "./notifications";
import { ReturnsPage } from "./returns";
import { SubscribePage, SubscriptionsPage } from "./subscriptions";
import { WishlistPage } from "./wishlist";

function Page({ url }: { url: URL }) {
  const session = useSession();
  const path = url.pathname;
  const signedIn = !!session;
  const needsSession = /^\/(cart|checkout|orders|account|returns|notifications|wishlist|subscriptions)(\/|$)/.test(path);

  useEffect(() => {
    if (needsSession && !signedIn) {
      navigate(`/signin?next=${encodeURIComponent(path + url.search)}`, true);
    }
  }, [needsSession, signedIn, path]);
  if (needsSession && !signedIn) return null;

  let match: RegExpMatchArray | null;
  if (path === "/") return <Catalog url={url} />;
  if ((match = path.match(/^\/products\/([0-9a-f]{24})$/))) return <ProductPage id={match[1]} />;
  if (path === "/signin") return <SignIn url={url} />;
  if (path === "/signup") return <SignUp url={url} />;
  if (path === "/cart") return <CartPage />;
  if (path === "/checkout") return <Checkout />;
  if (path === "/orders") return <Orders />;
  if (path === "/account") return <AccountPage />;
  if (path === "/returns") return <ReturnsPage />;
  if (path === "/wishlist") return <WishlistPage />;
  if (path === "/subscriptions") return <SubscriptionsPage url={url} />;
  if (path === "/subscriptions/new") return <SubscribePage />;
  if (path === "/notifications") return <NotificationsPage />;
  if (path === "/chat") return <Chat />;
  if ((match = path.match(/^\/orders\/([0-9a-f]{24})$/))) return <OrderPage id={match[1]} />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at {path}. <Link href="/">Back to the catalog</Link>
      </p>
    </section>
  );
}

function App() {
  const url = useLocation();
  const session = useSession();
  useEffect(() => track("page_view", { path: url.pathname.slice(0, 300) }), [url.pathname]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          The shop
        </Link>
        <nav aria-label="Main">
          <Link href="/">Catalog</Link>
          {session && <Link href="/cart">Cart</Link>}
          {session && <Link href="/orders">My orders</Link>}
          {session && <Link href="/wishlist">Wishlist</Link>}
          {session && <Link href="/subscriptions">Subscriptions</Link>}
          {session && <Link href="/account">My account</Link>}
          {session && <Bell key={session.customer.id} />}
          <Link href="/chat">Help</Link>
          {isStaff(session?.role) && <a href="/console">Console</a>}
          {session ? (
            <>
              <span class="who" data-testid="who">
                {session.customer.name}
              </span>
              <button
                class="link"
                onClick={async () => {
                  await signOut();
                  navigate("/");
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <Link href={`/signin?next=${encodeURIComponent(url.pathname + url.search)}`}>
              Sign in
            </Link>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Page url={url} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
