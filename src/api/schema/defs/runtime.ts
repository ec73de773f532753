/**
 * io.k8s.apimachinery.pkg.runtime: the protobuf envelope (runtime.Unknown) around every object
 * sent as application/vnd.kubernetes.protobuf, after the 4-byte "k8s\0" magic.
 */
import { defs } from '../dsl.js';

export const RUNTIME = defs('io.k8s.apimachinery.pkg.runtime', `
TypeMeta
  apiVersion                           1 string
  kind                                 2 string
Unknown
  typeMeta                             1 TypeMeta
  raw                                  2 bytes
  contentEncoding                      3 string
  contentType                          4 string
`);
