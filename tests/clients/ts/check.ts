// Run by tests/test_openapi.py: schema.d.ts is generated beside this file from the served
// OpenAPI document by openapi-typescript; tsc type-checks both, then node runs this against
// a real server (its URL is the first argument) and prints what it read as JSON.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

// Compile-time checks of the generated types: a failing one is a tsc error.
type Expect<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type DeclaredString<T> = unknown extends T ? false : Same<T, string | undefined>;
type EventsOk = paths["/events"]["get"]["responses"][200];
type EventsQuery = NonNullable<paths["/events"]["get"]["parameters"]["query"]>;
type ClaimsQuery = NonNullable<paths["/claims"]["get"]["parameters"]["query"]>;
type DateMatch = components["schemas"]["DateMatch"];
export type Checks = [
  Expect<DeclaredString<EventsOk["headers"]["ETag"]>>,
  Expect<DeclaredString<EventsOk["headers"]["Link"]>>,
  Expect<DeclaredString<EventsOk["headers"]["Cache-Control"]>>,
  Expect<Same<DateMatch, "overlap" | "within">>,
  // Every listing's date_match has DateMatch's values; that it names the component itself
  // (no structural copy) tests/test_openapi.py reads in schema.d.ts.
  Expect<Same<NonNullable<EventsQuery["date_match"]>, DateMatch>>,
  Expect<Same<NonNullable<ClaimsQuery["date_match"]>, DateMatch>>,
  Expect<Same<components["schemas"]["Claim"]["hedge"], components["schemas"]["Hedge"]>>,
  // The corroboration filters are typed as what they mean, not as strings.
  Expect<Same<NonNullable<EventsQuery["min_claimants"]>, number>>,
  Expect<Same<NonNullable<EventsQuery["contested"]>, boolean>>,
  Expect<Same<components["schemas"]["Event"]["support"]["claimants"], number>>,
  Expect<Same<components["schemas"]["Event"]["contested"], boolean>>,
  Expect<
    Same<components["schemas"]["Dispute"]["kind"], components["schemas"]["DisputeKind"]>
  >,
];

const baseUrl = process.argv[2];
// /events and /timeline also declare CSV, NDJSON, GeoJSON and Atom bodies: a JSON client
// names the media type it reads, and gets JSON's types alone.
const client = createClient<paths, "application/json">({ baseUrl });
const query: EventsQuery = {
  actor: ["DPRK"],
  limit: 2,
  date_match: "within",
  from: "2024-10",
  to: "2024-12",
};

const first = await client.GET("/events", { params: { query } });
if (first.data === undefined) {
  throw new Error(`GET /events: ${first.response.status} ${JSON.stringify(first.error)}`);
}
const etag = first.response.headers.get("ETag");
const link = first.response.headers.get("Link");
if (etag === null || link === null) {
  throw new Error("the response has no ETag or no Link");
}
// Link: <URL>; rel="next" (RFC 8288)
const next = new URL(link.slice(link.indexOf("<") + 1, link.indexOf(">")));
const cursor = next.searchParams.get("cursor") ?? undefined;
const second = await client.GET("/events", { params: { query: { ...query, cursor } } });
if (second.data === undefined) {
  throw new Error(`next page: ${second.response.status}`);
}
const unchanged = await client.GET("/events", {
  params: { query, header: { "If-None-Match": etag } },
});
const hedges: components["schemas"]["Hedge"][] = first.data.data.flatMap((event) =>
  event.claims.map((claim) => claim.hedge),
);

console.log(
  JSON.stringify({
    ids: first.data.data.map((event) => event.id),
    next: first.data.next,
    nextCursor: first.data.next_cursor,
    dateMatch: first.data.filters.date_match,
    etag,
    link,
    cacheControl: first.response.headers.get("Cache-Control"),
    secondIds: second.data.data.map((event) => event.id),
    unchangedStatus: unchanged.response.status,
    unchangedEtag: unchanged.response.headers.get("ETag"),
    hedges,
  }),
);
