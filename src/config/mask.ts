const SECRET_PARAMS = /([?&](?:password|pass|pwd|secret|token)=)[^&#]*/gi;

/**
 * Hides the password of a URL (and password-like query parameters): `postgresql://app:***@host/db`.
 * Works on malformed URLs too: everything before the last `@` is taken as user info, so a
 * password with unescaped reserved characters is hidden whole (masking too much is the safe side).
 */
export function maskUrl(url: string): string {
  let out = url;
  const start = url.indexOf('://');
  if (start >= 0) {
    const head = url.slice(0, start + 3);
    const rest = url.slice(start + 3);
    const at = rest.lastIndexOf('@');
    const colon = at < 0 ? -1 : rest.slice(0, at).indexOf(':');
    if (colon >= 0) out = `${head}${rest.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return out.replace(SECRET_PARAMS, '$1***');
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
