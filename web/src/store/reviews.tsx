// Reviews on the product page: the rating summary, the visible reviews (newest or most stars
// first, five a page), and the signed-in customer's own review, written once and edited after.
// Who may write is the API's call (a delivered order holding the product): its 403 is shown
// in words, and a 409 (already reviewed) turns the form into an edit of that review.

import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import {
  type Rating,
  type Review,
  type ReviewInput,
  editReview,
  myReview,
  reviewsOf,
  writeReview,
} from "../aftersales";
import { ErrorNote, Link, Loading, Pager, useSession } from "../ui";

const PAGE = 5;

/** Five stars, filled to the nearest whole, with the figure for screen readers. */
export function Stars({ value, label }: { value: number; label?: string }) {
  const full = Math.round(value);
  return (
    <span class="stars" role="img" aria-label={label ?? `${value} out of 5 stars`}>
      {"★".repeat(full)}
      <span class="stars-off">{"☆".repeat(5 - full)}</span>
    </span>
  );
}

export function RatingSummary({ rating }: { rating?: Rating | null }) {
  if (!rating || !rating.count || rating.average === null) {
    return (
      <p class="muted" data-testid="rating">
        No reviews yet
      </p>
    );
  }
  return (
    <p class="rating" data-testid="rating">
      <Stars value={rating.average} label={`Rated ${rating.average} out of 5`} />{" "}
      <span>
        {rating.average.toFixed(1)} ({rating.count} review{rating.count === 1 ? "" : "s"})
      </span>
    </p>
  );
}

export function Reviews(props: { productId: string; onChange: () => void }) {
  const { productId } = props;
  const [sort, setSort] = useState("recent");
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Review[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const abort = new AbortController();
    reviewsOf(productId, sort, page, PAGE).then(
      ({ data, meta }) => {
        if (abort.signal.aborted) return;
        setList(data);
        setTotal(meta?.total ?? data.length);
        setError(null);
      },
      (e) => abort.signal.aborted || setError(e),
    );
    return () => abort.abort();
  }, [productId, sort, page, generation]);

  const pages = Math.max(1, Math.ceil(total / PAGE));
  const session = useSession();
  return (
    <section class="reviews" aria-labelledby="reviews-title" aria-busy={!list && !error}>
      <h2 id="reviews-title">Reviews</h2>
      <div class="row">
        <div class="field">
          <label for="review-sort">Sort reviews</label>
          <select
            id="review-sort"
            value={sort}
            onChange={(e) => {
              setSort(e.currentTarget.value);
              setPage(1);
            }}
          >
            <option value="recent">Most recent</option>
            <option value="rating">Highest rating</option>
          </select>
        </div>
      </div>
      <ErrorNote error={error} />
      {!list && !error && <Loading />}
      {list?.length === 0 && <p>No reviews yet.</p>}
      <ul class="list" data-testid="reviews">
        {list?.map((r) => (
          <li key={r.id} class="card review" data-review-id={r.id}>
            <div class="row">
              <Stars value={r.rating} />
              {r.title && <strong>{r.title}</strong>}
            </div>
            <p>{r.body}</p>
            <p class="muted">
              {session?.customer.id === r.customerId ? "Your review" : "A verified buyer"},{" "}
              {new Date(r.createdAt).toLocaleDateString()}
              {r.updatedAt !== r.createdAt && " (edited)"}
            </p>
          </li>
        ))}
      </ul>
      <Pager page={page} pages={pages} onPage={setPage} label="Review pages" previous="Previous reviews" next="More reviews" />
      {session ? (
        <ReviewForm
          productId={productId}
          customerId={session.customer.id}
          onSaved={() => {
            setSort("recent");
            setPage(1);
            setGeneration((g) => g + 1);
            props.onChange();
          }}
        />
      ) : (
        <p>
          <Link href={`/signin?next=${encodeURIComponent(`/products/${productId}`)}`}>Sign in</Link>{" "}
          to review a product you bought.
        </p>
      )}
    </section>
  );
}

/** What a refusal means for this form, in words. */
function refusal(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 403) {
    return "Only a customer who received this product can review it: reviews open once an order holding it is delivered.";
  }
  if (error.status === 409) return "You have already reviewed this product: edit your review instead.";
  return null;
}

function ReviewForm(props: { productId: string; customerId: string; onSaved: () => void }) {
  const [open, setOpen] = useState(false);
  const [mine, setMine] = useState<Review | null>(null);
  const [editing, setEditing] = useState(false);
  const [rating, setRating] = useState(0);
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const fill = (r: Review) => {
    setMine(r);
    setEditing(true);
    setRating(r.rating);
    setTitle(r.title ?? "");
    setBody(r.body);
  };
  useEffect(() => {
    myReview(props.productId, props.customerId).then((r) => r && fill(r), () => {});
  }, [props.productId, props.customerId]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (rating < 1) return setProblem("Choose a rating from 1 to 5 stars.");
    if (!body.trim()) return setProblem("Write a few words about the product.");
    setProblem(null);
    setBusy(true);
    setError(null);
    setSaved(null);
    const review: ReviewInput = { rating, body: body.trim(), title: title.trim() || undefined };
    try {
      const { data } = editing
        ? await editReview(props.productId, review)
        : await writeReview(props.productId, review);
      fill(data);
      setOpen(false);
      setSaved(editing ? "Your review was updated." : "Thank you: your review is published.");
      props.onSaved();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 409) {
        setEditing(true);
        const found = await myReview(props.productId, props.customerId).catch(() => null);
        if (found) fill(found);
      }
    } finally {
      setBusy(false);
    }
  };

  const words = refusal(error);
  if (!open) {
    return (
      <div class="row">
        <button type="button" onClick={() => setOpen(true)}>
          {mine ? "Edit your review" : "Write a review"}
        </button>
        {saved && (
          <p class="ok" role="status">
            {saved}
          </p>
        )}
      </div>
    );
  }
  return (
    <form class="card panel" onSubmit={submit} aria-labelledby="review-form-title">
      <h3 id="review-form-title">{editing ? "Edit your review" : "Write a review"}</h3>
      <fieldset class="rating-choice">
        <legend>Rating</legend>
        {[5, 4, 3, 2, 1].map((n) => (
          <label key={n} class="choice">
            <input
              type="radio"
              name="review-rating"
              value={n}
              checked={rating === n}
              onChange={() => setRating(n)}
            />
            {n} star{n === 1 ? "" : "s"}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for="review-title">Title (optional)</label>
        <input
          id="review-title"
          maxLength={200}
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="review-body">Your review</label>
        <textarea
          id="review-body"
          rows={4}
          maxLength={5000}
          required
          value={body}
          onInput={(e) => setBody(e.currentTarget.value)}
        />
      </div>
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {words ? (
        <p class="error" role="alert" data-testid="review-refused">
          {words}
        </p>
      ) : (
        <ErrorNote error={error} />
      )}
      <div class="row">
        <button class="primary" type="submit" disabled={busy}>
          {editing ? "Save review" : "Publish review"}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
