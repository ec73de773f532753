/**
 * TypeScript shapes of the CRI v1 messages in api.proto, as @grpc/proto-loader hands them over
 * (camelCase names, int64 as numbers, enums as their names). Only the fields the agent uses.
 */

export type Labels = Record<string, string>;

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
}

export interface Int64Value {
  value: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  logDirectory: string;
  dnsConfig?: { servers: string[]; searches: string[]; options: string[] };
  portMappings: PortMapping[];
  labels: Labels;
  annotations: Labels;
  linux?: {
    cgroupParent?: string;
    securityContext?: {
      namespaceOptions?: NamespaceOption;
      runAsUser?: Int64Value;
      runAsGroup?: Int64Value;
      readonlyRootfs?: boolean;
      supplementalGroups?: number[];
      privileged?: boolean;
    };
    sysctls?: Labels;
  };
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: { ip: string }[] };
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: { image: string };
  command: string[];
  args: string[];
  workingDir: string;
  envs: { key: string; value: string }[];
  mounts: Mount[];
  labels: Labels;
  annotations: Labels;
  logPath: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: {
    resources?: { cpuPeriod?: number; cpuQuota?: number; cpuShares?: number; memoryLimitInBytes?: number; oomScoreAdj?: number };
    securityContext?: {
      capabilities?: { addCapabilities: string[]; dropCapabilities: string[] };
      privileged?: boolean;
      namespaceOptions?: NamespaceOption;
      runAsUser?: Int64Value;
      runAsGroup?: Int64Value;
      runAsUsername?: string;
      readonlyRootfs?: boolean;
      supplementalGroups?: number[];
      noNewPrivs?: boolean;
    };
  };
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: { image: string };
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: { image: string };
  imageRef: string;
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  logPath: string;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
}

/** ListContainerStats: what `kubectl top` is computed from. Absent values mean the runtime has no figure. */
export interface ContainerStats {
  readonly attributes: { readonly id: string; readonly metadata: ContainerMetadata | null; readonly labels: Record<string, string> };
  readonly cpu: { readonly timestamp: number; readonly usageCoreNanoSeconds: { readonly value: number } | null } | null;
  readonly memory: { readonly timestamp: number; readonly workingSetBytes: { readonly value: number } | null } | null;
}
