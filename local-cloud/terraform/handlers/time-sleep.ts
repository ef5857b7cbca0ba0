/**
 * hashicorp/time's `time_sleep`: waits `create_duration` after creation and `destroy_duration` before destruction,
 * so that what depends on it starts only once something eventual (e.g. an RBAC grant) has had time to settle.
 * The wait is real, on the local cloud's scaled clock (see time-scale.ts).
 */

import { sleepAzureSeconds } from '../../core/time-scale';
import { type Attributes, AzureError, type HandlerContext, type ResourceHandler } from '../handler';

const UNIT_SECONDS: { [unit: string]: number } = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Seconds in a Go duration string (`30s`, `1m30s`, `1.5h`), as the time provider accepts them; throws otherwise. */
export function parseGoDuration(text: string, attribute: string): number {
  const invalid = () =>
    new AzureError(
      'InvalidDuration',
      `Invalid Attribute Value: ${attribute} must be a string containing a Go time duration (e.g. "30s", "1m30s"), got "${text}"`,
      [attribute],
    );
  const match = /^([-+]?)(.*)$/.exec(text);
  const body = match?.[2] ?? '';
  if (body === '0') return 0;
  if (body === '') throw invalid();
  let seconds = 0;
  let rest = body;
  while (rest !== '') {
    const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!part) throw invalid();
    seconds += Number(part[1]) * (UNIT_SECONDS[part[2] as string] as number);
    rest = rest.slice(part[0].length);
  }
  if (match?.[1] === '-')
    throw new AzureError(
      'InvalidDuration',
      `Invalid Attribute Value: ${attribute} must not be negative, got "${text}"`,
      [attribute],
    );
  return seconds;
}

function durationSeconds(
  attributes: Attributes,
  name: 'create_duration' | 'destroy_duration',
): number {
  const value = attributes[name];
  return typeof value === 'string' ? parseGoDuration(value, name) : 0;
}

/** The wait itself; Ctrl-C in Terraform (StopProvider) ends it with an error, as the time provider's context does. */
async function wait(seconds: number, what: string, context: HandlerContext): Promise<void> {
  try {
    await sleepAzureSeconds(seconds, context.stopping);
  } catch (err) {
    throw new AzureError(
      'Interrupted',
      `Interrupted: ${what} was cancelled before it ended (${(err as Error).message})`,
    );
  }
}

export const timeSleep: ResourceHandler = {
  async create({ planned, context }) {
    await wait(durationSeconds(planned, 'create_duration'), 'the create_duration wait', context);
    // The time provider's id is the moment the wait ended, RFC 3339 in UTC, to the second.
    return { ...planned, id: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  },
  async read({ state }) {
    return state;
  },
  async update({ planned }) {
    return planned;
  },
  async delete({ state, context }) {
    await wait(durationSeconds(state, 'destroy_duration'), 'the destroy_duration wait', context);
  },
  async importState({ id }) {
    // `terraform import time_sleep.x <create_duration>,<destroy_duration>`, either side may be empty.
    const parts = id.split(',');
    const [create = '', destroy = ''] = parts;
    if (parts.length !== 2 || (create === '' && destroy === '')) {
      // resource_time_sleep.go (time v0.13.1), ImportState: summary and detail of the real diagnostic.
      throw new AzureError(
        '',
        `Unexpected Format of ID: Unexpected format of ID (${JSON.stringify(id)}), expected CREATEDURATION,DESTROYDURATION where at least one value is non-empty`,
      );
    }
    const attributes: Attributes = {
      create_duration: create || null,
      destroy_duration: destroy || null,
      triggers: null,
      id: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    durationSeconds(attributes, 'create_duration');
    durationSeconds(attributes, 'destroy_duration');
    return attributes;
  },
};
