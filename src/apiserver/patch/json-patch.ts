/**
 * RFC 6902 JSON Patch (application/json-patch+json): add, remove, replace, move, copy, test,
 * applied to a copy, all-or-nothing.
 */
import { PatchError } from './errors.js';
import { deepClone, deepEqual, isObject, type JsonValue } from './json-value.js';

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: JsonValue;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function applyJsonPatch(document: JsonValue, patch: unknown): JsonValue {
  const ops = parseOperations(patch);
  // The root is held in a box so operations on "" (the whole document) work like any other.
  const box: { [key: string]: JsonValue } = { root: deepClone(document) };
  for (const [index, op] of ops.entries()) {
    try {
      applyOperation(box, op);
    } catch (err) {
      if (err instanceof PatchError) {
        throw new PatchError(err.kind, `json patch operation ${index} (${op.op} ${op.path}): ${err.message}`);
      }
      throw err;
    }
  }
  return box.root as JsonValue;
}

function parseOperations(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) throw new PatchError('malformed', 'a json patch must be a JSON array of operations');
  return patch.map((raw, index) => {
    if (!isObject(raw)) throw new PatchError('malformed', `json patch operation ${index} is not an object`);
    const { op, path, from } = raw;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw new PatchError('malformed', `json patch operation ${index}: unknown op ${JSON.stringify(op)}`);
    }
    if (typeof path !== 'string') throw new PatchError('malformed', `json patch operation ${index}: missing "path"`);
    if ((op === 'move' || op === 'copy') && typeof from !== 'string') {
      throw new PatchError('malformed', `json patch operation ${index}: "${op}" needs "from"`);
    }
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) {
      throw new PatchError('malformed', `json patch operation ${index}: "${op}" needs "value"`);
    }
    const out: Operation = { op: op as Operation['op'], path };
    if (typeof from === 'string') out.from = from;
    if (Object.hasOwn(raw, 'value')) out.value = raw.value as JsonValue;
    return out;
  });
}

/** Splits a JSON pointer into unescaped tokens, prefixed with the box key. */
function tokens(pointer: string): string[] {
  if (pointer === '') return ['root'];
  if (!pointer.startsWith('/')) throw new PatchError('malformed', `invalid JSON pointer "${pointer}"`);
  return ['root', ...pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))];
}

type Container = JsonValue[] | { [key: string]: JsonValue };

function resolveParent(box: Container, pointer: string): { parent: Container; key: string } {
  const path = tokens(pointer);
  let node: JsonValue | Container = box;
  for (const token of path.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(node) ? node[arrayIndex(node, token, false)] : isObject(node) ? node[token] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      throw new PatchError('conflict', `path does not exist: ${pointer}`);
    }
    node = next;
  }
  return { parent: node as Container, key: path[path.length - 1]! };
}

function arrayIndex(array: JsonValue[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError('conflict', `"${token}" is not an array index`);
  const index = Number(token);
  if (index > array.length || (!forInsert && index === array.length)) {
    throw new PatchError('conflict', `array index ${index} out of bounds (length ${array.length})`);
  }
  return index;
}

function get(box: Container, pointer: string): JsonValue {
  const { parent, key } = resolveParent(box, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false)]!;
  if (!Object.hasOwn(parent, key)) throw new PatchError('conflict', `path does not exist: ${pointer}`);
  return parent[key]!;
}

function add(box: Container, pointer: string, value: JsonValue): void {
  const { parent, key } = resolveParent(box, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
}

function remove(box: Container, pointer: string): JsonValue {
  const { parent, key } = resolveParent(box, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false), 1)[0]!;
  if (!Object.hasOwn(parent, key)) throw new PatchError('conflict', `path does not exist: ${pointer}`);
  const old = parent[key]!;
  delete parent[key];
  return old;
}

function applyOperation(box: { [key: string]: JsonValue }, op: Operation): void {
  switch (op.op) {
    case 'add':
      add(box, op.path, deepClone(op.value!));
      return;
    case 'remove':
      if (op.path === '') throw new PatchError('conflict', 'cannot remove the whole document');
      remove(box, op.path);
      return;
    case 'replace': {
      get(box, op.path); // must exist
      const { parent, key } = resolveParent(box, op.path);
      if (Array.isArray(parent)) parent[arrayIndex(parent, key, false)] = deepClone(op.value!);
      else parent[key] = deepClone(op.value!);
      return;
    }
    case 'move': {
      if (op.path.startsWith(`${op.from!}/`)) throw new PatchError('conflict', 'cannot move a value into one of its own children');
      const value = remove(box, op.from!);
      add(box, op.path, value);
      return;
    }
    case 'copy':
      add(box, op.path, deepClone(get(box, op.from!)));
      return;
    case 'test':
      if (!deepEqual(get(box, op.path), op.value)) throw new PatchError('conflict', 'test failed: value differs');
      return;
  }
}
