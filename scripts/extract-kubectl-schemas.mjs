#!/usr/bin/env node
/**
 * Bootstrap tool (not part of the build): reads the protobuf FileDescriptorProtos and Go struct
 * tags that a kubectl binary carries, and prints our schema DSL (src/api/schema/defs/*.ts) for one
 * proto package. Field names, numbers and types are facts of the wire format; the patch metadata
 * comes from the struct tags. The printed text is a starting point: required fields, pointers,
 * list types and enums are then curated by hand in the defs files, which are the source of truth.
 *
 *   node scripts/extract-kubectl-schemas.mjs /path/to/kubectl k8s.io.api.core.v1 > /tmp/core.txt
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import zlib from 'node:zlib';

const [binPath, wantPackage] = process.argv.slice(2);
if (!binPath) {
  console.error('usage: extract-kubectl-schemas.mjs KUBECTL_BINARY [PROTO_PACKAGE]');
  process.exit(2);
}
const bin = fs.readFileSync(binPath);

// --- a minimal protobuf reader for descriptors -------------------------------------------------
function* fields(buf) {
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wt = key & 7;
    if (wt === 0) yield [no, Number(varint())];
    else if (wt === 2) {
      const len = Number(varint());
      yield [no, buf.subarray(i, i + len)];
      i += len;
    } else if (wt === 1) i += 8;
    else if (wt === 5) i += 4;
    else throw new Error(`wire type ${wt}`);
  }
}
const str = (b) => Buffer.from(b).toString('utf8');

function parseField(buf) {
  const f = {};
  for (const [no, v] of fields(buf)) {
    if (no === 1) f.name = str(v);
    else if (no === 3) f.number = v;
    else if (no === 4) f.label = v;
    else if (no === 5) f.type = v;
    else if (no === 6) f.typeName = str(v);
  }
  return f;
}
function parseMessage(buf) {
  const m = { fields: [], nested: [], mapEntry: false };
  for (const [no, v] of fields(buf)) {
    if (no === 1) m.name = str(v);
    else if (no === 2) m.fields.push(parseField(v));
    else if (no === 3) m.nested.push(parseMessage(v));
    else if (no === 7) for (const [o, ov] of fields(v)) if (o === 7) m.mapEntry = ov === 1;
  }
  return m;
}
function parseFile(buf) {
  const f = { messages: [] };
  for (const [no, v] of fields(buf)) {
    if (no === 1) f.name = str(v);
    else if (no === 2) f.package = str(v);
    else if (no === 4) f.messages.push(parseMessage(v));
  }
  return f;
}

// --- descriptors: gzip members whose content names a generated.proto ----------------------------
const magic = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0]);
const files = [];
for (let i = bin.indexOf(magic); i >= 0; i = bin.indexOf(magic, i + 1)) {
  let raw;
  try {
    raw = zlib.inflateRawSync(bin.subarray(i + 10, i + 10 + 1_000_000));
  } catch {
    continue;
  }
  if (!raw.subarray(0, 200).toString('latin1').includes('generated.proto')) continue;
  try {
    files.push(parseFile(raw));
  } catch {
    /* not a descriptor */
  }
}

// --- struct tags: json:"..." ... protobuf:"wire,num,opt|rep,name=X" ------------------------------
const text = bin.toString('latin1');
const tags = new Map(); // "protoName#num" -> [{json, omitempty, strategy, mergeKey}]
const TAG_KEYS = '(?:json|protobuf|patchStrategy|patchMergeKey|protobuf_key|protobuf_val|casttype|castkey|castvalue)';
for (const m of text.matchAll(new RegExp(`(?:${TAG_KEYS}:"[^"\\n]*" ?)*protobuf:"[^"\\n]*"(?: ?${TAG_KEYS}:"[^"\\n]*")*`, 'g'))) {
  const parts = Object.fromEntries([...m[0].matchAll(new RegExp(`(${TAG_KEYS}):"([^"\\n]*)"`, 'g'))].map((p) => [p[1], p[2]]));
  const pb = parts.protobuf.split(',');
  const name = pb.find((p) => p.startsWith('name='))?.slice(5);
  if (!name || !parts.json) continue;
  const [json, ...opts] = parts.json.split(',');
  const key = `${name}#${pb[1]}`;
  const entry = { json, omitempty: opts.includes('omitempty'), strategy: parts.patchStrategy ?? '', mergeKey: parts.patchMergeKey ?? '' };
  const list = tags.get(key) ?? [];
  if (!list.some((e) => JSON.stringify(e) === JSON.stringify(entry))) list.push(entry);
  tags.set(key, list);
}

// --- OpenAPI v2 (gnostic protobuf) that kubectl embeds as a test fixture: required fields and
// x-kubernetes-* extensions per definition and property (older API level: fields added since
// then fall back to the struct tags). Schema: 1 $ref, 18? required is 19, 25 properties, 31 extensions.
const openapi = new Map(); // definition -> {required:Set, ext:{}, props: Map<name, ext{}>}
function readExt(schema) {
  const ext = {};
  for (const [no, v] of fields(schema)) {
    if (no !== 31) continue;
    const kv = [...fields(v)];
    const name = str(kv.find((x) => x[0] === 1)[1]);
    const any = kv.find((x) => x[0] === 2)[1];
    const yaml = [...fields(any)].find((x) => x[0] === 2);
    if (yaml) ext[name] = str(yaml[1]).trim();
  }
  return ext;
}
for (let i = bin.indexOf(magic); i >= 0; i = bin.indexOf(magic, i + 1)) {
  let raw;
  try {
    raw = zlib.inflateRawSync(bin.subarray(i + 10, i + 10 + 8_000_000));
  } catch {
    continue;
  }
  if (raw.length < 1_000_000 || !raw.includes('io.k8s.api.core.v1.PodSpec')) continue;
  for (const [no, v] of fields(raw)) {
    if (no !== 9) continue;
    for (const [, named] of fields(v)) {
      const kv = [...fields(named)];
      const name = str(kv.find((x) => x[0] === 1)[1]);
      const schema = kv.find((x) => x[0] === 2)[1];
      const def = { required: new Set(), ext: readExt(schema), props: new Map() };
      for (const [sno, sv] of fields(schema)) {
        if (sno === 19) def.required.add(str(sv));
        if (sno === 25) {
          for (const [, prop] of fields(sv)) {
            const pk = [...fields(prop)];
            def.props.set(str(pk.find((x) => x[0] === 1)[1]), readExt(pk.find((x) => x[0] === 2)[1]));
          }
        }
      }
      openapi.set(name, def);
    }
  }
  break;
}
const extFlags = (ext) => {
  const flags = [];
  if (ext['x-kubernetes-patch-strategy']) flags.push(`patch=${ext['x-kubernetes-patch-strategy']}${ext['x-kubernetes-patch-merge-key'] ? `:${ext['x-kubernetes-patch-merge-key']}` : ''}`);
  if (ext['x-kubernetes-list-type']) {
    const keys = ext['x-kubernetes-list-map-keys'] ? `:${ext['x-kubernetes-list-map-keys'].split('\n').map((k) => k.replace(/^- /, '').trim()).join(',')}` : '';
    flags.push(`list=${ext['x-kubernetes-list-type']}${keys}`);
  }
  if (ext['x-kubernetes-map-type']) flags.push(`map=${ext['x-kubernetes-map-type']}`);
  return flags;
};

// --- DSL output ---------------------------------------------------------------------------------
const SPECIAL = {
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intstr',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'time',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'microtime',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'duration',
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': 'raw',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'fieldsv1',
};
const SCALAR = { 1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 8: 'bool', 9: 'string', 12: 'bytes', 13: 'uint32', 18: 'int64' };
function typeRef(typeName, pkg) {
  if (SPECIAL[typeName]) return SPECIAL[typeName];
  const short = typeName.replace(/^\./, '');
  if (short.startsWith(`${pkg}.`)) return short.slice(pkg.length + 1);
  return short
    .replace(/^k8s\.io\.apimachinery\.pkg\.apis\.meta\.v1\./, 'meta.')
    .replace(/^k8s\.io\.apimachinery\.pkg\.runtime\./, 'runtime.')
    .replace(/^k8s\.io\.api\./, '');
}
function fieldType(f, msg, pkg) {
  if (f.type === 11 || f.type === 14) {
    const entry = msg.nested.find((n) => n.mapEntry && f.typeName.endsWith(`.${n.name}`));
    if (entry) {
      const v = entry.fields.find((x) => x.number === 2);
      return `{}${v.type === 11 ? typeRef(v.typeName, pkg) : SCALAR[v.type]}`;
    }
    const t = typeRef(f.typeName, pkg);
    return f.label === 3 ? `[]${t}` : t;
  }
  const t = SCALAR[f.type] ?? `?${f.type}`;
  return f.label === 3 ? `[]${t}` : t;
}

const out = [];
for (const file of files.filter((f) => !wantPackage || f.package === wantPackage)) {
  out.push(`# ${file.package} (${file.name})`);
  const defPrefix = file.package.replace(/^k8s\.io\./, "io.k8s.");
  for (const msg of file.messages) {
    const def = openapi.get(`${defPrefix}.${msg.name}`);
    out.push([msg.name, ...(def ? extFlags(def.ext) : ['NEW'])].join(' '));
    for (const f of msg.fields) {
      const cands = tags.get(`${f.name}#${f.number}`) ?? [];
      const flags = [];
      let json = f.name;
      if (cands.length >= 1) json = cands[0].json;
      if (def && def.props.has(json)) {
        if (def.required.has(json)) flags.push('!');
        flags.push(...extFlags(def.props.get(json)));
      } else if (cands.length >= 1) {
        flags.push('NEW');
        json = cands[0].json;
        const same = cands.every((c) => c.omitempty === cands[0].omitempty && c.strategy === cands[0].strategy && c.mergeKey === cands[0].mergeKey);
        if (!cands[0].omitempty && same) flags.push('!');
        if (cands[0].strategy && same) flags.push(`patch=${cands[0].strategy}${cands[0].mergeKey ? `:${cands[0].mergeKey}` : ''}`);
        if (!same) flags.push(`AMBIGUOUS(${cands.map((c) => `${c.omitempty ? 'o' : '!'}${c.strategy}:${c.mergeKey}`).join('|')})`);
      } else flags.push('NOTAG');
      out.push(`  ${json} ${f.number} ${fieldType(f, msg, file.package)}${flags.length ? ` ${flags.join(' ')}` : ''}`);
    }
  }
}
console.log(out.join('\n'));
