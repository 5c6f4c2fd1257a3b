// Packing from an image: a `docker save` tarball, an OCI image layout (as a tarball), or a plain
// rootfs tarball. Layers are applied in order to an in-memory tree — whiteouts (`.wh.<name>`)
// delete, opaque markers (`.wh..wh..opq`) empty a directory — so ownership, devices and modes
// come from the archives themselves and packing needs no root and writes nothing to disk but
// blocks. Content of files a later layer deletes is sealed anyway (harmless: blocks dedupe).
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { TfgridError, createLogger } from '../base/index.ts';
import { FlistError } from './errors.ts';
import { BlockSink, finishPack, type PackOptions, type PackStats } from './pack.ts';
import { BlockRouter } from './stores.ts';
import { readTar, type TarEntry } from './tar.ts';
import { Tree, makeDev, newInode, safeParts, type Inode } from './tree.ts';

const dockerManifest = z.array(z.object({ Layers: z.array(z.string()).min(1) })).min(1);
const ociIndex = z.object({ manifests: z.array(z.object({ digest: z.string() })).min(1) });
const ociManifest = z.object({ layers: z.array(z.object({ digest: z.string() })) });

/** Packs an image (docker save or OCI layout, as a tarball or a directory) or a rootfs tarball into an flist. */
export async function packArchive(archive: string, output: string, options: PackOptions): Promise<PackStats> {
  const logger = options.logger ?? createLogger({ component: 'flist' });
  const layers = await imageLayers(archive);
  const router = await BlockRouter.open(options.routes, { logger, required: true });
  try {
    const sink = new BlockSink(router, options.compress ?? true, (done) => options.onProgress?.(done, undefined));
    const tree = new Tree();
    for (const layer of layers.paths) await applyLayer(tree, layer, sink);
    await layers.cleanup();
    return await finishPack(sink, tree, output, options);
  } finally {
    await layers.cleanup();
    await router.close();
  }
}

/** Whether a directory is an image layout (OCI, or an unpacked `docker save`) rather than a rootfs. */
export function isImageLayout(dir: string): boolean {
  return (existsSync(join(dir, 'oci-layout')) && existsSync(join(dir, 'index.json'))) || existsSync(join(dir, 'manifest.json'));
}

/** The layer tarballs of an image (a tarball, or a layout directory), in order; a tarball that is no image is its own single layer. */
async function imageLayers(source: string): Promise<{ paths: string[]; cleanup: () => Promise<void> }> {
  if ((await stat(source)).isDirectory()) return { paths: await layoutLayers(source, source), cleanup: () => Promise.resolve() };
  const names = new Set<string>();
  await readTar(openMaybeGzip(source), async (entry) => {
    names.add(safeParts(entry.path).join('/'));
    return Promise.resolve();
  });
  if (!names.has('manifest.json') && !(names.has('index.json') && names.has('oci-layout'))) return { paths: [source], cleanup: () => Promise.resolve() };
  // Extract the image's own files (manifests and layer blobs) to read them in order.
  const dir = await mkdtemp(join(tmpdir(), 'tfgrid-image-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await readTar(openMaybeGzip(source), async (entry, read) => {
      if (entry.type !== 'file') return;
      const path = join(dir, ...safeParts(entry.path));
      await mkdir(dirname(path), { recursive: true });
      const chunks: Buffer[] = [];
      for (let left = entry.size; left > 0;) {
        const chunk = await read(Math.min(left, 1 << 20));
        chunks.push(chunk);
        left -= chunk.length;
      }
      await writeFile(path, Buffer.concat(chunks));
    });
    return { paths: await layoutLayers(dir, source), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Layer paths from a layout directory: docker's manifest.json, else OCI's index → manifest → layers. */
async function layoutLayers(dir: string, source: string): Promise<string[]> {
  const json = async <T>(schema: z.ZodType<T>, path: string): Promise<T> => {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new TfgridError(FlistError.SOURCE, `${source}: ${path.slice(dir.length + 1)} is missing or not JSON`, { cause: error });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new TfgridError(FlistError.SOURCE, `${source}: ${path.slice(dir.length + 1)} is not what an image holds: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  };
  const blob = (digest: string): string => {
    const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
    if (match === null) throw new TfgridError(FlistError.SOURCE, `${source}: digest '${digest}' is not sha256`);
    return join(dir, 'blobs', 'sha256', match[1]!);
  };
  if (existsSync(join(dir, 'manifest.json'))) return (await json(dockerManifest, join(dir, 'manifest.json')))[0]!.Layers.map((layer) => join(dir, ...safeParts(layer)));
  const index = await json(ociIndex, join(dir, 'index.json'));
  return (await json(ociManifest, blob(index.manifests[0]!.digest))).layers.map((layer) => blob(layer.digest));
}

/** Applies one layer to the tree. */
async function applyLayer(tree: Tree, layer: string, sink: BlockSink): Promise<void> {
  const linksToResolve: Array<{ path: string; target: string }> = [];
  // Whiteouts hide lower layers only; entries of this layer may come before them in the archive.
  const added = new Set<string>();
  await readTar(openMaybeGzip(layer), async (entry, read) => {
    const parts = safeParts(entry.path);
    if (parts.length === 0) {
      if (entry.type === 'directory') tree.set('', inodeOf(entry));
      return;
    }
    const name = parts.at(-1)!;
    const parent = parts.slice(0, -1).join('/');
    if (name === '.wh..wh..opq') {
      tree.clear(parent, added);
      return;
    }
    if (name.startsWith('.wh.')) {
      const hidden = parent === '' ? name.slice(4) : `${parent}/${name.slice(4)}`;
      if (!added.has(hidden)) tree.remove(hidden);
      return;
    }
    const path = parts.join('/');
    for (let i = 1; i <= parts.length; i++) added.add(parts.slice(0, i).join('/'));
    if (entry.type === 'hardlink') {
      linksToResolve.push({ path, target: safeParts(entry.linkTarget).join('/') });
      return;
    }
    const inode = inodeOf(entry);
    if (entry.type === 'file') inode.blocks = await sink.file(entry.size, read);
    tree.set(path, inode);
  });
  // Hard links name an earlier entry of the same layer (or a lower one): share its inode.
  for (const { path, target } of linksToResolve) {
    const inode = tree.get(target);
    if (inode === undefined || inode.type === 'directory') throw new TfgridError(FlistError.SOURCE, `${layer}: hard link ${path} → ${target}: no such file`);
    tree.set(path, inode);
  }
}

function inodeOf(entry: TarEntry): Inode {
  const type = entry.type === 'hardlink' ? 'file' : entry.type;
  return newInode(type, {
    mode: entry.mode, uid: entry.uid, gid: entry.gid, size: type === 'file' ? entry.size : 0, mtimeNs: entry.mtimeNs,
    target: entry.type === 'symlink' ? entry.linkTarget : '', rdev: entry.type === 'char' || entry.type === 'block' ? makeDev(entry.devMajor, entry.devMinor) : 0,
    xattrs: new Map(entry.xattrs),
  });
}

/** The file's bytes, gunzipped when it starts with the gzip magic (layers may be either). */
async function* openMaybeGzip(path: string): AsyncGenerator<Buffer> {
  const head = Buffer.alloc(2);
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new TfgridError(FlistError.SOURCE, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  });
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    throw new TfgridError(FlistError.SOURCE, `${path}: ${(error as Error).message}`, { cause: error });
  }
}
