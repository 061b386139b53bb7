// Assistant statistics from `GET /dashboard/assistant-stats`: replies, what they were about,
// the functions the assistant called and how long replies took; read again every 10 seconds.

import { useEffect, useState } from "preact/hooks";
import { get } from "../api";
import { ErrorNote, Loading } from "../ui";

interface Stats {
  replies: number;
  intents: Record<string, { count: number; share: number }>;
  functionCalls: Record<string, number>;
  totalFunctionCalls: number;
  responseTimeMs: Record<"average" | "p50" | "p95" | "p99" | "max", number | null>;
}

const ms = (value: number | null | undefined) => (value == null ? "—" : `${value} ms`);

export function AssistantStats() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let stop = false;
    let timer = 0;
    const read = async () => {
      try {
        setStats(await get<Stats>("/dashboard/assistant-stats"));
        setError(null);
      } catch (e) {
        setError(e);
      }
      if (!stop) timer = window.setTimeout(read, 10_000);
    };
    read();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);

  if (!stats) return error ? <ErrorNote error={error} /> : <Loading />;
  const intents = Object.entries(stats.intents).sort((a, b) => b[1].count - a[1].count);
  const calls = Object.entries(stats.functionCalls).sort((a, b) => b[1] - a[1]);
  const t = stats.responseTimeMs;
  return (
    <section aria-labelledby="assistant-title">
      <h1 id="assistant-title">Assistant</h1>
      <ErrorNote error={error} />
      <dl class="figures" data-testid="assistant-figures">
        <div>
          <dt>Replies</dt>
          <dd data-testid="assistant-replies">{stats.replies}</dd>
        </div>
        <div>
          <dt>Function calls</dt>
          <dd>{stats.totalFunctionCalls}</dd>
        </div>
        <div>
          <dt>Reply time, median</dt>
          <dd>{ms(t.p50)}</dd>
        </div>
        <div>
          <dt>Reply time, 95th percentile</dt>
          <dd>{ms(t.p95)}</dd>
        </div>
        <div>
          <dt>Reply time, slowest</dt>
          <dd>{ms(t.max)}</dd>
        </div>
      </dl>
      <div class="two">
        <table class="lines">
          <caption>What customers asked about</caption>
          <thead>
            <tr>
              <th scope="col">Intent</th>
              <th scope="col">Replies</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {intents.map(([intent, { count, share }]) => (
              <tr key={intent}>
                <th scope="row">{intent}</th>
                <td>{count}</td>
                <td>{(share * 100).toFixed(1)} %</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table class="lines">
          <caption>Functions the assistant called</caption>
          <thead>
            <tr>
              <th scope="col">Function</th>
              <th scope="col">Calls</th>
            </tr>
          </thead>
          <tbody>
            {calls.map(([name, count]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
