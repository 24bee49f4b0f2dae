// Progress as typed events. The CLI prints them; library callers subscribe with `onEvent`.
import type { Failure } from '../errors.ts';

export type ForkliftEvent =
  | { type: 'provider'; message: string }
  | { type: 'node-creating'; group: string; name: string }
  | { type: 'node-created'; group: string; name: string; address: string; ms: number }
  | { type: 'node-create-failed'; group: string; name: string; error: Failure }
  | { type: 'node-removing'; group: string; name: string; reason: string }
  | { type: 'node-removed'; group: string; name: string }
  | { type: 'phase-start'; phase: string; nodes: string[] }
  | { type: 'node-phase-done'; phase: string; node: string; ok: boolean; changed: number; ms: number; error?: Failure }
  | { type: 'phase-end'; phase: string; ms: number };

export type EventListener = (event: ForkliftEvent) => void;
