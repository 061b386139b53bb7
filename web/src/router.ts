// A small client-side router: the path as state, links that push history instead of loading
// a page, and the back button honoured. The gateway answers every such path with the page.

import { useEffect, useState } from "preact/hooks";

const listeners = new Set<() => void>();
addEventListener("popstate", () => listeners.forEach((l) => l()));

/** Goes to `to` (path and query) without a page load. */
export function navigate(to: string, replace = false) {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  listeners.forEach((l) => l());
  scrollTo(0, 0);
}

/** The current location, re-rendering on every change. */
export function useLocation(): URL {
  const [, tick] = useState(0);
  const seen = location.href;
  useEffect(() => {
    const listener = () => tick((n) => n + 1);
    listeners.add(listener);
    // A child's effect may have navigated before this one subscribed (effects run children
    // first): catch up with it.
    if (location.href !== seen) listener();
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return new URL(location.href);
}

/** A link handled by the router (a normal click), or by the browser (new tab and the like). */
export function onLink(event: MouseEvent) {
  const anchor = (event.currentTarget as HTMLAnchorElement) ?? null;
  if (!anchor || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href") ?? "/");
}
