"""Dead bytes of an image, from its truth file, GNU-tar-compatible listings of the layer blobs
(Python's tarfile) and the final filesystem buildah mounted (final-fs.json). Independent of layerdig.

usage: dead_truth.py ARCHIVE.docker-archive.tar TRUTH.json FINAL-FS.json  -> JSON on stdout
A member's body is visible when the final filesystem shows a regular file at its path and its layer
is the topmost one that stores that path; a hard link shown in the final filesystem keeps its
target's body (in the link's layer) visible. Every other regular-file body is dead.
"""
import json, sys, tarfile

def norm(name):
    while name.startswith('./'):
        name = name[2:]
    name = name.strip('/')
    return '' if name == '.' else name

archive, truth_path, final_path = sys.argv[1:4]
truth = json.load(open(truth_path))
final = json.load(open(final_path))['entries']
final_files = {e['path'] for e in final if e['type'] == 'f'}
image = truth['images'][0]
outer = tarfile.open(archive)
layers = []  # per layer: list of (path, kind, size, linktarget)
for tl in image['layers']:
    inner = tarfile.open(fileobj=outer.extractfile(tl['blob_path']))
    members = inner.getmembers()
    # the truth file's member list is the same listing
    if sorted(norm(m.name) for m in members) != sorted(norm(x) for x in tl['members']):
        sys.exit(f"layer {tl['index']}: tar listing differs from the truth file's members")
    rows = []
    for m in members:
        kind = 'f' if m.isreg() else 'h' if m.islnk() else 'd' if m.isdir() else 'o'
        rows.append((norm(m.name), kind, m.size if m.isreg() else 0, norm(m.linkname) if m.islnk() else None))
    layers.append(rows)

visible = set()  # (layer, member index)
for p in final_files:
    top = None
    for k, rows in enumerate(layers):
        for i, r in enumerate(rows):
            if r[0] == p:
                top = (k, i)
    if top is None:
        sys.exit(f'{p}: in the final filesystem but in no layer')
    k, i = top
    # follow hard links within the layer to the body they share
    seen = 0
    while layers[k][i][1] == 'h' and seen < 100:
        target = layers[k][i][3]
        j = max(jj for jj in range(i) if layers[k][jj][0] == target)
        i = j
        seen += 1
    visible.add((k, i))

dead = []
for k, rows in enumerate(layers):
    for i, r in enumerate(rows):
        if r[1] == 'f' and r[2] > 0 and (k, i) not in visible:
            dead.append({'layerIndex': k, 'path': r[0], 'size': r[2]})
by_layer = [sum(d['size'] for d in dead if d['layerIndex'] == k) for k in range(len(layers))]
print(json.dumps({'total': sum(by_layer), 'byLayer': by_layer, 'dead': dead}))
