/**
 * Rootless mode: the launcher (parent, on the host) and what the child runs inside the
 * namespaces (port forwarding through rootlesskit's API, cgroup controller setup).
 */
export { runRootlessLauncher, EVACUATION_CGROUP, type LaunchOptions } from './launcher.js';
export { PortForwarder, hostPortFor, UNPRIVILEGED_PORT_START_ENV, type Forward, type ForwardFailure } from './port-forwarder.js';
export { ServicePortsController, serviceForwards } from './service-ports.js';
export { CHILD_MARKER, effectiveUid, rootlessRole, type RootlessRole } from './roles.js';
export { degradedModeMessage, enableControllers, readCgroupState, type CgroupState } from './cgroups.js';
export { startDelegatedScope, sessionBusAddress } from './systemd-scope.js';
