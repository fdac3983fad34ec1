// Test helpers: a real proximadb-server per test file, on free loopback
// ports (the server picks them: --rest-port 0 --grpc-port 0) in a temporary
// data directory, stopped by its PID.

import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

export const TRANSPORTS = ["rest", "grpc"];
// The server the tests run: $PROXIMADB_SERVER_BINARY (ctest sets it), else
// the one ./scripts/run-server.sh builds.
export const BINARY =
  process.env.PROXIMADB_SERVER_BINARY ||
  fileURLToPath(new URL("../../../build/src/server/proximadb-server", import.meta.url));
const READY = /proximadb-server ready rest_port=(\d+)(?: grpc_port=(\d+))?/;

/**
 * Starts a server. `env`: extra environment (e.g. PROXIMADB_API__API_KEYS).
 * Returns {restUrl, grpcUrl, url(transport), dataDir, log(), stop()}.
 */
export async function startServer({ env = {}, args = [] } = {}) {
  try {
    accessSync(BINARY, constants.X_OK);
  } catch {
    throw new Error(`proximadb-server not found or not executable at ${BINARY}; set PROXIMADB_SERVER_BINARY`);
  }
  const dir = mkdtempSync(join(tmpdir(), "proximadb-js-test-"));
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PROXIMADB_")));
  const proc = spawn(
    BINARY,
    ["--data-dir", join(dir, "data"), "--rest-port", "0", "--grpc-port", "0", "--bind", "127.0.0.1", "--log-level", "warn", ...args],
    { cwd: dir, env: { ...cleanEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines = [];
  let exited = null;
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proximadb-server not ready within 20 s:\n${lines.join("")}`)), 20000);
    const onData = (chunk) => {
      const text = chunk.toString();
      lines.push(text);
      if (lines.length > 500) lines.splice(0, lines.length - 500);
      const m = READY.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ rest: Number(m[1]), grpc: Number(m[2]) });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code, signal) => {
      exited = { code, signal };
      clearTimeout(timer);
      reject(new Error(`proximadb-server exited (${code ?? signal}) before it was ready:\n${lines.join("")}`));
    });
  }).catch((e) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const restUrl = `http://127.0.0.1:${ports.rest}`;
  const grpcUrl = `grpc://127.0.0.1:${ports.grpc}`;
  return {
    restUrl,
    grpcUrl,
    ports,
    dataDir: dir,
    pid: proc.pid,
    url: (transport) => (transport === "grpc" ? grpcUrl : restUrl),
    log: () => lines.join(""),
    async stop() {
      if (exited === null) {
        const done = new Promise((resolve) => proc.once("exit", resolve));
        process.kill(proc.pid, "SIGTERM");
        const killer = setTimeout(() => {
          if (exited === null) process.kill(proc.pid, "SIGKILL");
        }, 10000);
        await done;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A unique collection name. */
export function uniqueName(prefix = "c") {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** A deterministic pseudo-random vector. */
export function vec(seed, dim) {
  const out = new Array(dim);
  let x = (seed + 1) * 2654435761 % 4294967296;
  for (let i = 0; i < dim; i++) {
    x = (x * 1664525 + 1013904223) % 4294967296;
    out[i] = x / 4294967296 - 0.5;
  }
  return out;
}
