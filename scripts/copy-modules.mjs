// Copies the plain JavaScript modules of src/ (`*.mjs`, with their `*.d.mts` types) into dist/,
// where tsc does not put them: `dev`'s function workers load them as they are.
import { copyFile, mkdir, readdir } from "node:fs/promises"
import { dirname, join, relative } from "node:path"

const plain = async (dir) =>
  (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && (entry.name.endsWith(".mjs") || entry.name.endsWith(".d.mts")))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))

for (const source of await plain("src")) {
  const target = join("dist", relative("src", source))
  await mkdir(dirname(target), { recursive: true })
  await copyFile(source, target)
}
