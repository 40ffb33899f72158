// `mirrorshade` command line: the usage text and the dispatch to one module per
// command (cli/<command>.ts; bench and bench-redact live in bench/). bin/mirrorshade.mjs calls main().
import { UsageError } from "./args.js";

const USAGE = `usage: mirrorshade <command> [options]

commands:
  validate <policy.json>   check a plugin configuration with the filter's own configure step
  preview --config <policy.json> --request <requests.json> [--chunk-size N] [--protocol http1|h2]
                           run requests through the filter (the same .wasm Envoy loads) and print,
                           one JSON line each, whether they are mirrored, why, and what the shadow
                           and the primary receive; gRPC calls (--protocol h2, bodyBase64 with framed
                           messages) also show their messages as JSON (decoded) when the policy has
                           redact.grpc.descriptor_set
  render --target envoy|istio --policy <policy.json> [--out DIR] [--namespace NS] [--service S]
         [--shadow-service S] [--port N] [--url URL] [--sha256 HEX] [--wasm-path PATH]
         [--descriptor-set FILE] [--grpc]
                           generate the Envoy config or the Istio manifests for the policy's role;
                           --descriptor-set writes a FileDescriptorSet (protoc --include_imports
                           --descriptor_set_out=FILE) into the policy as redact.grpc.descriptor_set;
                           with it or --grpc the clusters speak HTTP/2
  report --input <file> [--input <file>...] [--out DIR]
                           summarize diff records (Envoy log or diff-sink JSON lines) by route and
                           field, as DIR/report.md and DIR/report.html (default DIR: report/)
  package                  write build/oci (OCI image layout, Wasm OCI artifact format, for Istio's
                           WasmPlugin url: oci://...) and the module's sha256 (for url: https://...)
  bench [--quick] [--json FILE] [--container] [--rounds N] [--seconds S] [--soak N] [...]
                           what mirroring costs the primary path: floor, native, native_lua,
                           mirrorshade, mirrorshade_empty, native_upstream, in real Envoy
                           (all options: mirrorshade bench --help)
  bench --worker [--before-commit REV | --before-wasm FILE] [--rounds N] [--uploads N] [...]
                           what redacting large uploads costs the primary and the other requests on
                           the same Envoy worker (all options: mirrorshade bench --worker --help)
  bench-redact [--quick] [--json FILE] [--rounds N] [--wasm FILE]
                           redaction throughput (MB/s) of the compiled filter in V8, 1 KB / 16 KB / 1 MB JSON,
                           against JSON.parse of the same bodies (ratio_to_json_parse)
  schema                   print the policy's JSON Schema (its path on stderr, the schema on stdout)
  demo [--container]       start Envoy with a primary and a shadow upstream, send sample traffic,
                           show what each side received and the filter's counters
`;


export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "validate":
        return await (await import("./validate.js")).validateCommand(rest);
      case "schema":
        return (await import("./schema.js")).schemaCommand();
      case "demo":
        return await (await import("./demo.js")).demoCommand(rest);
      case "preview":
        return await (await import("./preview.js")).previewCommand(rest);
      case "render":
        return await (await import("./render.js")).renderCommand(rest);
      case "report":
        return (await import("./report.js")).reportCommand(rest);
      case "package":
        return (await import("./package.js")).packageCommand();
      case "bench": {
        (await import("../validate.js")).requireWasm();
        const { benchCommand } = await import("../bench/command.js");
        return await benchCommand(rest);
      }
      case "bench-redact": {
        (await import("../validate.js")).requireWasm();
        const { runRedactionBench } = await import("../bench/redact.js");
        return await runRedactionBench(rest);
      }
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(USAGE);
        return cmd ? 0 : 2;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`mirrorshade: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

const invokedDirectly = process.argv[1] && /cli\/main\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`mirrorshade: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
