/**
 * The seams of the API server: who is asking (UserInfo), how a request is authenticated and
 * authorized, and the optional pieces other components plug in (OpenAPI, strict field
 * validation, protobuf decoding, strategic-merge metadata, metadata validation, token signing).
 * Each is a plain function so the server can be assembled with real parts or, in unit tests,
 * with a neighbour faked.
 */
import type { FieldError, GroupVersionKind, KubeObject, PatchMeta, ResourceInfo } from '../api/types.js';

export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** What the TLS layer and headers present; the authenticator decides who that is. */
export interface AuthnRequest {
  /** The verified-or-not client certificate chain (DER of the leaf), when one was presented. */
  readonly peerCertificate?: { readonly raw: Buffer; readonly authorized: boolean };
  /** The Authorization header, if any. */
  readonly authorization?: string;
}

/**
 * undefined = anonymous (no credential presented); throws for a credential that is presented but
 * invalid (the server answers 401 either way, except for the public paths).
 */
export type Authenticate = (request: AuthnRequest) => Promise<UserInfo | undefined>;

export interface AuthzAttributes {
  readonly user: UserInfo;
  readonly verb: string;
  readonly isResourceRequest: boolean;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** For non-resource requests: the URL path. */
  readonly path?: string;
}

export interface AuthzDecision {
  readonly allowed: boolean;
  /** Why, when denied (appended to the Forbidden message, as upstream). */
  readonly reason?: string;
}

export type Authorize = (attributes: AuthzAttributes) => Promise<AuthzDecision>;

/**
 * Impersonation (kubectl --as): given the authenticated user and the request headers, the user
 * the request runs as, or a refusal. 'none' when no Impersonate-* header is present.
 */
export type Impersonate = (
  user: UserInfo,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
) => Promise<{ kind: 'none' } | { kind: 'impersonated'; user: UserInfo } | { kind: 'forbidden'; status: Record<string, unknown> } | { kind: 'bad-request'; message: string }>;

/** SelfSubjectRulesReview's answer for a user in a namespace. */
export interface SubjectRules {
  readonly resourceRules: readonly Record<string, unknown>[];
  readonly nonResourceRules: readonly Record<string, unknown>[];
  readonly incomplete: boolean;
  readonly evaluationError?: string;
}

export interface OpenApiSource {
  v2(): unknown;
  /** /openapi/v2 as the gnostic protobuf document client-go asks for (Accept ...proto-openapi...). */
  v2Protobuf?(): Uint8Array;
  v3Index(): unknown;
  /** The document of one group/version ("api/v1", "apis/apps/v1"), undefined when unknown. */
  v3(path: string): unknown;
}

export interface FieldProblems {
  readonly unknown: readonly string[];
  readonly duplicate: readonly string[];
}

/** Pieces other components supply; every one is optional and its absence is handled loudly. */
export interface Extensions {
  /** Common metadata validation for every kind (name syntax, labels, annotations, immutables). */
  readonly validateObjectMeta?: (info: ResourceInfo, object: KubeObject, old?: KubeObject) => FieldError[];
  readonly patchMeta?: (gvk: GroupVersionKind) => PatchMeta;
  /** Unknown fields of an object against its schema (duplicates come from the raw-text parsers). */
  readonly unknownFields?: (gvk: GroupVersionKind, object: unknown) => string[];
  /** JSON parse that reports duplicate keys (paths), for fieldValidation. */
  readonly parseJsonStrict?: (text: string) => { value: unknown; duplicates: string[] };
  /** Decodes a `k8s\0` protobuf envelope into the JSON form of the object. */
  readonly decodeProtobuf?: (body: Uint8Array) => KubeObject;
  readonly openapi?: OpenApiSource;
  /** Signs a service-account token for TokenRequest. */
  readonly issueServiceAccountToken?: (claims: {
    namespace: string;
    serviceAccount: { name: string; uid: string };
    audiences: readonly string[];
    expirationSeconds: number;
    boundObject?: { kind: string; name: string; uid: string };
  }) => Promise<{ token: string; expirationTimestamp: string }>;
  /** The rules a user has in a namespace (kubectl auth can-i --list). */
  readonly subjectRules?: (user: UserInfo, namespace: string) => Promise<SubjectRules>;
  /**
   * Read-only resources computed on request instead of stored (metrics.k8s.io), by
   * "group/resource". Errors thrown are answered as they are (StatusError) or as 500.
   */
  readonly virtualResources?: Readonly<Record<string, VirtualResource>>;
}

export interface VirtualResource {
  /** The objects of a namespace ('' = all namespaces, or a cluster-scoped kind). */
  list(namespace: string): Promise<KubeObject[]>;
}

/** The identity loopback clients run as: the API server itself, in system:masters. */
export const LOOPBACK_USER: UserInfo = { username: 'system:apiserver', uid: '', groups: ['system:masters', 'system:authenticated'] };
