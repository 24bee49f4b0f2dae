// forklift's public API. Only re-exports live here.
// The declarations use Node's types (Buffer, AbortSignal); a user's project gets them with forklift.
/// <reference types="node" preserve="true" />
export { nodeSpec, mergeNodeSpecs, inboundPorts, type NodeSpec } from './spec/node.ts';
export { serverSpec, mergeServerSpecs, type ServerSpec, type ServerSpecInput } from './spec/server.ts';
export { groupSpec, type GroupSpec, type GroupSpecInput } from './spec/group.ts';
export { plan, nodesWithRole, resolveNodes, type Plan, type PlanItem, type PlanFn, type PlanContext, type NodeRef, type NodeView, type PlannedNode, type NodeQuery, type Nodes, type NodeFacts } from './spec/plan.ts';
export { onOneNode } from './spec/once.ts';
export { defineSettings, secretSchema, mergeSettings, type Settings, type SettingsDef, type SettingsItem, type SettingsFn, type SettingsContext, type TypedSettings, type GeneratedSecretOptions } from './spec/settings.ts';
export * from './actions/index.ts';
export * as haproxy from './crates/haproxy.ts';
export * as nginx from './crates/nginx.ts';
export { sh, raw, secret, quote, Cmd, Secret } from './shell/sh.ts';
/** For crate authors: validate settings with a zod schema; a failure is a SpecError naming the field. */
export { parseSpec } from './validate.ts';
export { defineConfig, DEFAULT_CONFIG_FILE, type StackConfig } from './config/define.ts';
export { validateStack } from './config/stack.ts';
export { loadConfig } from './config/load.ts';
export { converge, type Counts, type ConvergeOptions } from './engine/converge.ts';
export { lift, check, type LiftOptions } from './engine/lift.ts';
export { nodes, type NodeListing } from './engine/nodes.ts';
export { destroy, destroyTargets, type DestroyOptions } from './engine/destroy.ts';
export { planStack, KNOWN_AFTER_CREATE, type StackPlan, type PlanOptions, type PlannedCreate, type PlannedRemoval } from './engine/plan.ts';
export { applyPlan, savePlan, parseSavedPlan, StalePlanError, type SavedPlan } from './engine/saved-plan.ts';
export type { FileChange, ContentState } from './engine/diff.ts';
export { unlock, type UnlockResult } from './engine/unlock.ts';
export { ssh, type SshOptions } from './engine/ssh.ts';
export { exec, type ExecOptions, type ExecResult, type ExecNodeResult } from './engine/exec.ts';
export type { OperationOptions } from './engine/operation.ts';
export type { ForkliftEvent, EventListener } from './engine/events.ts';
export type { OperationResult, NodeResult, NodeActionResult, RemovedNode } from './engine/results.ts';
export type { ProviderConfig, LocalProviderConfig, CloudStackProviderConfig, HostsProviderConfig } from './providers/registry.ts';
export type { HostEntry } from './providers/hosts/options.ts';
export { TAG, type Provider, type ProviderContext, type NodeInfo, type NodeOs, type NodeState, type NodeStateAccess, type HostPort, type CreateNodeRequest, type Tags } from './providers/types.ts';
export type { Transport, Connection, ConnectTarget, ConnectOptions, RunOptions, RunOutput, SshEndpoint, ByteSource } from './transport/types.ts';
export { DisconnectedError, ConnectionLostError } from './transport/errors.ts';
export { DEFAULT_EXEC_TIMEOUT_MS } from './engine/exec.ts';
export { ForkliftError, ConfigError, SpecError, UsageError, ActionError, ProviderError, TransportError, CancelledError, type Failure, type ErrorDetails } from './errors.ts';
