/**
 * Protobuf request bodies (application/vnd.kubernetes.protobuf) decoded into the same JSON
 * objects the JSON path produces, from the declared schemas (src/api/schema).
 */
export { decodeMessage, formatDuration, type JsonObject } from './decode.js';
export { decodeEnvelope, decodeProtobufObject, definitionFor, PROTOBUF_MAGIC, type Envelope } from './envelope.js';
export { ProtobufError } from './wire.js';
