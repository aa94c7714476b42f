/**
 * Every command's usage line and description: what `--help`, completion and usage
 * errors list. Loaded at every start, so it holds nothing else; each command's
 * options and handler live in its own module, loaded only when the command line
 * names that command (commands/index.ts; start-up, issue 13).
 */
export const SPECS = {
  images: {
    command: 'images <inputs..>',
    describe: 'list the images in archives and directories, with Docker\'s SIZE (--no-content: JSON members only)',
  },
  inspect: {
    command: 'inspect <input>',
    describe: 'a docker-image-inspect-like document per image (always JSON)',
  },
  layers: {
    command: 'layers <input>',
    describe: "each layer's diffID, chainID, blob digest, compression, top-level content, size and storage",
  },
  history: {
    command: 'history <input>',
    describe: 'how each layer was made: history entries paired with layers as Docker pairs them, with Docker\'s SIZE',
  },
  ls: {
    command: 'ls <input> [path]',
    describe: 'entries of one layer, the merged final filesystem, or what each layer added, modified and deleted',
  },
  file: {
    command: 'file <args..>',
    describe: 'find a path (or glob), or with --content some bytes under any name, in every image of every archive',
  },
  cat: {
    command: 'cat <input> <path>',
    describe: 'print a file as it is in the final image (or as it stood after --layer N), following symlinks inside the image',
  },
  extract: {
    command: 'extract <input> <paths..>',
    describe: 'copy files or subtrees out of the final image (or as of --layer N) into a directory, safely',
  },
  export: {
    command: 'export <input>',
    describe: 'the merged filesystem (whiteouts applied) as one tar, like `crane export`',
  },
  diff: {
    command: 'diff <a> [b]',
    describe: 'two images: the layers they share (by chainID), then files added, removed and changed between their final filesystems',
  },
  relation: {
    command: 'relation <id> [inputs..]',
    describe: 'every image, in every archive, holding a layer (by diffID, chainID or blob digest); JSON members only',
  },
  none: {
    command: 'none [id] [inputs..]',
    describe: 'for an untagged image, the tagged image it most likely was (JSON members only)',
  },
  base: {
    command: 'base <input>',
    describe: 'the base image, with the evidence of each clue: annotations/labels, OS, chain prefix, history',
  },
  index: {
    command: 'index <inputs..>',
    describe: 'record archives, images, layers (and with --files every layer\'s file listing) in the catalog',
  },
  verify: {
    command: 'verify <inputs..>',
    describe: 'check every digest, size, diffID and cross-reference an archive declares against its bytes',
  },
  audit: {
    command: 'audit <input>',
    describe: 'risky content: setuid/setgid, capabilities, world-writable, devices, recoverable deleted files, secrets, links, root user, secret Env',
  },
  efficiency: {
    command: 'efficiency <input>',
    describe: "dive's efficiency, wasted bytes and inefficient paths (same numbers), and the dead bytes behind them, per layer and cause",
  },
  ci: {
    command: 'ci <input>',
    describe: 'a CI gate: dive\'s .dive-ci rules (same defaults and comparisons) plus layerdig\'s; exit 0 pass, 1 failed, 3 error',
  },
  report: {
    command: 'report <input>',
    describe: 'one self-contained HTML page for a ticket: summary, layers, filesystem treemap, waste',
  },
  containers: {
    command: 'containers <inputs..>',
    describe: 'the containers of Docker data-roots, containerd roots and podman containers-storage, as docker/podman ps -a list them (read offline)',
  },
  packages: {
    command: 'packages [input..]',
    describe: 'installed packages (deb, apk, rpm) and the layer and history step that installed each version; --history: what each layer installed, upgraded, downgraded and removed; --find: which images hold a package in a version range',
  },
  attached: {
    command: 'attached <input>',
    describe: 'what travels with each image: signatures, SBOMs, provenance and other artifacts, decoded (checked by verify --key)',
  },
  garbage: {
    command: 'garbage <inputs..>',
    describe: 'blobs of a registry storage no manifest references: what registry garbage-collect would delete, with sizes',
  },
} as const satisfies Record<string, { command: string; describe: string }>;

export type CommandName = keyof typeof SPECS;
