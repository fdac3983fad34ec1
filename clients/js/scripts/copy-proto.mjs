// Copies the server's .proto files (../../proto) into ./proto, where the
// gRPC transport loads them at run time: the package never reads outside
// its own directory once built.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(pkgDir, "..", "..", "proto");
const target = join(pkgDir, "proto");
const main = join("proximadb", "v1", "proximadb.proto");

if (!existsSync(join(source, main))) {
  if (existsSync(join(target, main))) {
    console.log(`copy-proto: ${source} not found; keeping the existing ${relative(pkgDir, target)}/`);
    process.exit(0);
  }
  console.error(`copy-proto: ${join(source, main)} not found (build from the ProximaDB repository)`);
  process.exit(1);
}

function protoFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...protoFiles(p));
    else if (name.endsWith(".proto")) out.push(p);
  }
  return out;
}

rmSync(target, { recursive: true, force: true });
const files = protoFiles(source);
for (const f of files) {
  const dest = join(target, relative(source, f));
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(f, dest);
}
console.log(`copy-proto: ${files.length} file(s) -> ${relative(pkgDir, target)}/`);
