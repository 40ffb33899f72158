// Planted secrets in the places #13 found unscanned (path segments, matrix
// parameters), shared by the emulator's tests (test/unit/redact/places.test.ts)
// and real Envoy's (test/e2e/redact.test.ts). Each path goes with the secret as
// the application decodes it; matrix parameter names are those of PLACES_QUERY_RULES.
export const JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/** The query rules the corpus assumes (matrix parameters are named like query parameters). */
export const PLACES_QUERY_RULES = { mask: ["token", "jsessionid"], drop: ["sid"] };

// [path, the secret as the application decodes it]
export const PATH_SECRETS: [string, string][] = [
  // emails
  ["/users/zq.alice77@mailhost-secret.io/cards", "zq.alice77@mailhost-secret.io"],
  ["/users/bob%40example.com/profile", "bob@example.com"],
  ["/u/BOB.SMITH@EXAMPLE.CO.UK", "BOB.SMITH@EXAMPLE.CO.UK"],
  ["/u/%62%6f%62%40example.org/x", "bob@example.org"],
  ["/notify/to:carol@example.net", "carol@example.net"],
  // cards
  ["/users/x/cards/4111111111111111", "4111111111111111"],
  ["/cards/4111-1111-1111-1111/charge", "4111-1111-1111-1111"],
  ["/cards/4111%201111%201111%201111", "4111 1111 1111 1111"],
  ["/c/5500000000000004.json", "5500000000000004"],
  ["/c/%34%31%31%31111111111111", "4111111111111111"],
  // SSNs
  ["/ssn/536-22-8147", "536-22-8147"],
  ["/p/536%2D22%2D8147/", "536-22-8147"],
  // JWTs
  [`/t/${JWT}/x`, JWT],
  [`/auth/Bearer%20${JWT}`, JWT],
  // IBANs
  ["/iban/DE89370400440532013000", "DE89370400440532013000"],
  ["/pay/GB82WEST12345698765432/confirm", "GB82WEST12345698765432"],
  // phones
  ["/call/+14155552671", "+14155552671"],
  // matrix parameters: values by detectors
  ["/a;email=dave@example.com/b", "dave@example.com"],
  ["/a;x=1;card=4111111111111111", "4111111111111111"],
  ["/a;ref=eve%40example.org", "eve@example.org"],
  // matrix parameters: names by the query rules
  ["/app;jsessionid=ABC123XYZ/cart", "ABC123XYZ"],
  ["/app;JSESSIONID=ABC123XYZ", "ABC123XYZ"],
  ["/app;token=tok-9f8e7d", "tok-9f8e7d"],
  ["/app;sid=s-31337/cart", "s-31337"],
];
