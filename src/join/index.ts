/** Joining agents to a server: the supervisor endpoints (server side) and the agent's join. */
export { supervisorEndpoints, type AgentClusterSettings, type SupervisorDeps, type SupervisorHandler } from './endpoints.js';
export { joinCluster, joinOnce, JoinError, type JoinedCluster, type JoinOptions } from './agent-join.js';
export { nodePasswordFile, RemoteAgent } from './remote-agent.js';
