/** Query parameters whose values are secrets: any name containing one of these words, and the short spellings of a password. */
const SECRET_NAME = /password|secret|token|key/i;
const SECRET_NAMES = new Set(['pass', 'pwd']);
const QUERY_PARAM = /([?&])([^=&#?]*)=([^&#]*)/g;

/**
 * Whether a URL query parameter (or driver option) of this name holds a secret: names containing
 * `password`, `secret`, `token` or `key` (case-insensitive: `sslpassword`, `access_token`, `api_key`,
 * `sslkey`), plus `pass` and `pwd`.
 */
export function isSecretName(name: string): boolean {
  const plain = decodeName(name);
  return SECRET_NAME.test(plain) || SECRET_NAMES.has(plain.toLowerCase());
}

/**
 * Hides the password of a URL (and every secret query parameter, see `isSecretName`):
 * `postgresql://app:***@host/db?sslpassword=***`.
 * Works on malformed URLs too: everything before the last `@` is taken as user info, so a
 * password with unescaped reserved characters is hidden whole (masking too much is the safe side).
 */
export function maskUrl(url: string): string {
  const hidden = hiddenPassword(url);
  const out = hidden === undefined ? url : `${hidden.before}***${hidden.after}`;
  return maskQuery(out);
}

/**
 * What `maskUrl` takes for the password: the text between the first `:` after `://` and the last
 * `@`, with what comes before and after it.
 */
export function hiddenPassword(url: string): { before: string; password: string; after: string } | undefined {
  const start = url.indexOf('://');
  if (start < 0) return undefined;
  const rest = url.slice(start + 3);
  const at = rest.lastIndexOf('@');
  const colon = at < 0 ? -1 : rest.slice(0, at).indexOf(':');
  if (colon < 0) return undefined;
  const before = `${url.slice(0, start + 3)}${rest.slice(0, colon)}:`;
  return { before, password: rest.slice(colon + 1, at), after: rest.slice(at) };
}

/** A secret parameter's value is hidden up to the next `&` or `#`; any other value is searched for `?name=` too. */
function maskQuery(text: string): string {
  return text.replace(QUERY_PARAM, (_, sep: string, name: string, value: string) =>
    isSecretName(name) ? `${sep}${name}=***` : `${sep}${name}=${maskQuery(value)}`,
  );
}

/**
 * Removes known secrets from text we did not write ourselves (driver error messages), and masks
 * any URL in it, so that no password reaches an error, a log line or a health report.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, (url) => maskUrl(url));
  for (const secret of secrets) {
    if (secret.length > 0) {
      out = out.split(secret).join('***');
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join('***');
    }
  }
  return out;
}

/** `access%5Ftoken` and `access+token` name the parameters they spell. */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}
