/**
 * Why this file exists: beautiful-mermaid's SVG is styled for browsers: colours are CSS custom properties
 * (`fill="var(--_node-fill)"`) derived with `color-mix()`, and text asks for a web font through an
 * `@import`. resvg supports none of these: fed the SVG as is, every shape came out as a black box with
 * no text. This rewrites the SVG into what resvg draws: every `var()` and `color-mix()` resolved to a
 * plain #rrggbb colour, the `@import` dropped, and the fonts set to installed families.
 */

export interface SvgFonts {
  sans: string;
  mono: string;
}

export const DEJAVU_FONTS: SvgFonts = { sans: 'DejaVu Sans', mono: 'DejaVu Sans Mono' };

/** Used where a colour cannot be worked out: readable on white, never black boxes. */
const FALLBACK_COLOUR = '#71717a';

export function svgForResvg(svg: string, fonts: SvgFonts = DEJAVU_FONTS): string {
  const variables = customProperties(svg);
  const resolved = (value: string) => resolveColour(value, variables);
  const withoutStyles = svg.replace(/<style>([\s\S]*?)<\/style>/g, (_, css: string) => {
    return `<style>${fontRules(css, fonts)}</style>`;
  });
  // Every remaining var(...) sits in an attribute or an inline style: replace it by its colour.
  return withoutStyles
    .replace(/(<svg\b[^>]*?)\sstyle="[^"]*"/, '$1')
    .replace(/\b(fill|stroke|color|stop-color)="([^"]*)"/g, (_, name: string, value: string) =>
      /var\(|color-mix\(/.test(value) ? `${name}="${resolved(value)}"` : `${name}="${value}"`,
    )
    .replace(/\bstyle="([^"]*)"/g, (_, style: string) => `style="${resolveInStyle(style, resolved)}"`);
}

/** `--name: value` from the root element's style attribute and from every <style> rule. */
function customProperties(svg: string): Map<string, string> {
  const variables = new Map<string, string>();
  const root = /<svg\b[^>]*?\sstyle="([^"]*)"/.exec(svg)?.[1] ?? '';
  const styles = [...svg.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '').join('\n');
  const css = styles.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const source of [root, css]) {
    for (const m of source.matchAll(/(--[\w-]+)\s*:\s*([^;}]+)/g)) {
      if (m[1] && m[2]) variables.set(m[1], m[2].trim());
    }
  }
  return variables;
}

/** The CSS kept for resvg: font rules with installed families; no @import, no custom properties. */
function fontRules(css: string, fonts: SvgFonts): string {
  const rules: string[] = [];
  const plain = css.replace(/\/\*[\s\S]*?\*\//g, '').replace(/@import\s+url\([^)]*\)[^;\n]*;?/g, '');
  for (const m of plain.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
    const selector = (m[1] ?? '').trim();
    if (!/font-family/.test(m[2] ?? '')) continue;
    const family = /mono/i.test(selector) ? fonts.mono : fonts.sans;
    rules.push(`${selector} { font-family: '${family}'; }`);
  }
  return `\n  ${rules.join('\n  ')}\n`;
}

function resolveInStyle(style: string, resolved: (value: string) => string): string {
  return style
    .split(';')
    .filter((part) => part.trim() !== '' && !part.trim().startsWith('--'))
    .map((part) => {
      const colon = part.indexOf(':');
      if (colon < 0) return part;
      const value = part.slice(colon + 1).trim();
      return /var\(|color-mix\(/.test(value) ? `${part.slice(0, colon).trim()}:${resolved(value)}` : part;
    })
    .join(';');
}

/** A CSS colour value with var() and color-mix() in it, as #rrggbb (or 'none'/'transparent' as given). */
export function resolveColour(value: string, variables: Map<string, string>, depth = 0): string {
  if (depth > 16) return FALLBACK_COLOUR;
  const text = value.trim();
  const call = /^(var|color-mix)\((.*)\)$/s.exec(text);
  if (!call) return parseColour(text) ? toHex(parseColour(text) as Rgb) : text;
  const args = splitArgs(call[2] ?? '');
  if (call[1] === 'var') {
    const defined = variables.get((args[0] ?? '').trim());
    if (defined !== undefined) return resolveColour(defined, variables, depth + 1);
    return args[1] !== undefined ? resolveColour(args[1], variables, depth + 1) : FALLBACK_COLOUR;
  }
  return colorMix(args, variables, depth);
}

/** `color-mix(in srgb, A p%, B [q%])`: p% of A and the rest of B, channel by channel. */
function colorMix(args: string[], variables: Map<string, string>, depth: number): string {
  const [space, first, second] = args.map((a) => a.trim());
  if (!space || !/^in\s+srgb$/i.test(space) || !first || !second) return FALLBACK_COLOUR;
  const part = (arg: string) => {
    const m = /^(.*?)(?:\s+([\d.]+)%)?$/s.exec(arg);
    return { colour: parseColour(resolveColour(m?.[1] ?? arg, variables, depth + 1)), pct: m?.[2] };
  };
  const a = part(first);
  const b = part(second);
  if (!a.colour || !b.colour) return FALLBACK_COLOUR;
  const pa = a.pct !== undefined ? Number(a.pct) : b.pct !== undefined ? 100 - Number(b.pct) : 50;
  const w = Math.min(Math.max(pa, 0), 100) / 100;
  const ca = a.colour;
  const cb = b.colour;
  return toHex([0, 1, 2].map((i) => (ca[i] ?? 0) * w + (cb[i] ?? 0) * (1 - w)) as Rgb);
}

/** Splits on top-level commas (commas inside nested parentheses stay). */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      args.push(current);
      current = '';
    } else current += ch;
  }
  args.push(current);
  return args;
}

type Rgb = [number, number, number];

const NAMED: Record<string, Rgb> = { white: [255, 255, 255], black: [0, 0, 0] };

function parseColour(text: string): Rgb | undefined {
  const t = text.trim().toLowerCase();
  if (NAMED[t]) return NAMED[t];
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(t);
  if (short) return [1, 2, 3].map((i) => Number.parseInt((short[i] ?? '0').repeat(2), 16)) as Rgb;
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})(?:[0-9a-f]{2})?$/.exec(t);
  if (long) return [1, 2, 3].map((i) => Number.parseInt(long[i] ?? '0', 16)) as Rgb;
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(t);
  if (rgb) return [1, 2, 3].map((i) => Number(rgb[i])) as Rgb;
  return undefined;
}

function toHex(rgb: Rgb): string {
  return `#${rgb
    .map((c) =>
      Math.round(Math.min(Math.max(c, 0), 255))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}
