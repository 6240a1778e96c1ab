import YAML from 'yaml';
import { fencedBlocks, readSeed } from './seed-schemas.js';

/**
 * Every example a seed gives for its create request, read from the seed document itself (the fixture
 * copy in ./seeds/), so the "examples work verbatim" tests follow the seed and not a retyped copy.
 */
export interface SeedExamples {
  /** The request body made of the members' `example` values (an array member from its items' example). */
  body: Record<string, unknown>;
  /** Each example found, by JSON Pointer into the body, for test failure messages and counts. */
  found: string[];
}

type Schema = { type?: string; example?: unknown; properties?: Record<string, Schema>; items?: Schema };

/** The body a request schema's `example` members describe. */
// Keys come from the seed fixtures checked into the repository (test code only).
/* eslint-disable no-restricted-syntax */
export function bodyFromExamples(schema: Schema, path = ''): SeedExamples {
  const body: Record<string, unknown> = {};
  const found: string[] = [];
  for (const [name, member] of Object.entries(schema.properties ?? {})) {
    const at = `${path}/${name}`;
    if (member.example !== undefined) {
      body[name] = member.example;
      found.push(at);
    } else if (member.type === 'array' && member.items?.example !== undefined) {
      body[name] = [member.items.example];
      found.push(`${at}/0`);
    } else if (member.properties) {
      const inner = bodyFromExamples(member, at);
      if (inner.found.length > 0) {
        body[name] = inner.body;
        found.push(...inner.found);
      }
    }
  }
  return { body, found };
}
/* eslint-enable no-restricted-syntax */

/** Seed 000 (Rollout): the members of the JSON request schema of POST /users. */
export function rolloutExamples(): SeedExamples {
  const [yaml] = fencedBlocks(readSeed('000_'), 'yaml');
  const doc = YAML.parse(yaml as string) as {
    paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>>;
  };
  return bodyFromExamples(doc.paths['/users']?.post?.requestBody.content['application/json']?.schema ?? {});
}

/** Seed 002 (Rocket.Chat): the members of users.create's request schema. */
export function rocketChatExamples(): SeedExamples {
  const [json] = fencedBlocks(readSeed('002_'), 'json');
  const doc = JSON.parse(json as string) as {
    paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>>;
  };
  return bodyFromExamples(doc.paths['/api/v1/users.create']?.post?.requestBody.content['application/json']?.schema ?? {});
}

/** Seed 004 (Fleet): the members of CreateUserBody, its first ```json block. */
export function fleetExamples(): SeedExamples {
  const [json] = fencedBlocks(readSeed('004_'), 'json');
  return bodyFromExamples(JSON.parse(json as string) as Schema);
}

/** Seed 001 (Pulse, prose): the "Request Body" JSON shown on the page, and the x-account-id header's `example`. */
export function pulseExamples(): { body: Record<string, unknown>; accountId: string } {
  const text = readSeed('001_');
  const request = /Request Body\s*\n\s*(\{[\s\S]*?\n\})/.exec(text);
  const accountId = /name: x-account-id[\s\S]*?example: "([^"]+)"/.exec(text) ?? /x-account-id[\s\S]*?example: "([^"]+)"/.exec(text);
  if (!request || !accountId) throw new Error('seed 001: no request example or x-account-id example');
  return { body: JSON.parse(request[1] as string) as Record<string, unknown>, accountId: accountId[1] as string };
}

/** Seed 003 (Certification, prose): the page names members and types and gives no example value. */
export function certificationExampleCount(): number {
  return (readSeed('003_').match(/example/gi) ?? []).length;
}
