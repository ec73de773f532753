/**
 * Strict field validation: unknown fields from the declared schemas, duplicate keys from the
 * body parsers. The API server decides what to do: Strict -> 400 BadRequest with
 * strictDecodingError(), Warn -> one Warning header per fieldProblemMessages() entry, Ignore.
 */
export {
  definitionOfKind,
  fieldProblemMessages,
  findFieldProblems,
  findFieldProblemsOf,
  strictDecodingError,
  type FieldProblemOptions,
  type FieldProblems,
} from './field-problems.js';
export { JsonSyntaxError, parseJsonWithDuplicates, type ParsedJson } from './json-parse.js';
export { parseYamlWithDuplicates, type ParsedYaml } from './yaml-parse.js';
