/**
 * Protobuf bodies (application/vnd.kubernetes.protobuf): requests decoded into the same JSON
 * objects the JSON path produces, and responses encoded from JSON, from the declared schemas
 * (src/api/schema).
 */
export { decodeMessage, formatDuration, type JsonObject } from './decode.js';
export { decodeEnvelope, decodeProtobufObject, definitionFor, encodeProtobufObject, PROTOBUF_MAGIC, type Envelope } from './envelope.js';
export { encodeMessage, parseDuration } from './encode.js';
export { ProtobufError } from './wire.js';
