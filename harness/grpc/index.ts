// Real gRPC components for the tests: the Payments schema and wire helpers
// (proto.ts), what v1 and v2 answer (payments.ts), a recording grpc-js server
// (server.ts), a grpc-js client (client.ts), and raw node:http2 calls (h2.ts).
export * from "./proto.js";
export * from "./payments.js";
export * from "./server.js";
export * from "./client.js";
export * from "./h2.js";
