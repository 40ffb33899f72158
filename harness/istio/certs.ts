// Workload certificates made with openssl, where istio-agent looks for file-mounted
// credentials: <cwd>/var/run/secrets/workload-spiffe-credentials/{cert-chain.pem,
// key.pem,root-cert.pem} (pkg/security/security.go WorkloadIdentityCredentialsPath;
// the agent then serves them over SDS and never asks a CA: pkg/istio-agent/agent.go
// initSdsServer, "workload certificate files detected").
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";

export const CREDENTIALS_DIR = join("var", "run", "secrets", "workload-spiffe-credentials");

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** A root CA (P-256, one day) in dir: root-key.pem, root-cert.pem. */
export function makeRootCa(dir: string): { key: string; cert: string } {
  mkdirSync(dir, { recursive: true });
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/O=mirrorshade test mesh", "-keyout", "root-key.pem", "-out", "root-cert.pem"], dir);
  return { key: join(dir, "root-key.pem"), cert: join(dir, "root-cert.pem") };
}

/** The SPIFFE identity of a workload: spiffe://cluster.local/ns/<ns>/sa/<sa>. */
export const spiffeId = (namespace: string, serviceAccount: string) => `spiffe://cluster.local/ns/${namespace}/sa/${serviceAccount}`;

/** Writes the agent's file credentials under agentCwd for the identity, signed by root. */
export function writeWorkloadCerts(agentCwd: string, root: { key: string; cert: string }, identity: string): void {
  const dir = join(agentCwd, CREDENTIALS_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=URI:${identity}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/O=mirrorshade test mesh", "-keyout", "key.pem", "-out", "csr.pem"], dir);
  openssl(["x509", "-req", "-in", "csr.pem", "-CA", root.cert, "-CAkey", root.key, "-CAcreateserial", "-days", "1", "-extfile", "ext.cnf", "-out", "cert-chain.pem"], dir);
  copyFileSync(root.cert, join(dir, "root-cert.pem"));
}
