import { z } from 'zod';

/** Building blocks of the config schema (config.ts): how one environment variable is read. */

/**
 * What the schema says about a variable besides its validation, read by `CONFIG_VARIABLES`:
 * `default` is the value used when it is unset or blank; `readmeDefault` is the README's wording when
 * that is not simply the default in backticks; `secret` values are redacted from every log line.
 */
export type VariableMeta = {
  default?: string;
  readmeDefault?: string;
  secret?: true;
};

export const meta = (m: VariableMeta) => m;

export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const withDefault = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()))
    .meta(meta({ default: fallback }));

/** A required value, optionally with a fixed prefix (`xoxb-`): one clear problem per variable. */
export const required = (hint: string, prefix?: { value: string; hint: string }) =>
  z
    .string({ error: `is not set: ${hint}` })
    .transform((v) => v.trim())
    .superRefine((v, ctx) => {
      if (v.length === 0) ctx.addIssue({ code: 'custom', message: `is not set: ${hint}` });
      else if (prefix && !v.startsWith(prefix.value)) ctx.addIssue({ code: 'custom', message: prefix.hint });
    })
    .meta(meta({ readmeDefault: 'required' }));

export const urlWithSlash = (fallback: string) =>
  withDefault(fallback)
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), {
      message: 'must be an http(s) URL, e.g. https://slack.com/api/',
    })
    .transform((v) => (v.endsWith('/') ? v : `${v}/`));

export const integer = (fallback: number, min: number, max: number, hint: string) =>
  withDefault(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      message: `must be a whole number from ${min} to ${max} (${hint})`,
    })
    .transform(Number);

/** Walks a variable's schema (through its transforms) for the metadata the helpers and fields attached. */
export function metaOf(schema: z.ZodType): VariableMeta {
  const own = (z.globalRegistry.get(schema) ?? {}) as VariableMeta;
  return schema instanceof z.ZodPipe ? { ...metaOf(schema.in as z.ZodType), ...own } : own;
}

/** Config is frozen and never changed after start-up: its type says so all the way down. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
