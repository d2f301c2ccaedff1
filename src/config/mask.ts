const USERINFO_PASSWORD = /(\/\/[^/?#@:]*:)[^/?#@]*@/g;
const SECRET_PARAMS = /([?&](?:password|pass|pwd|secret|token)=)[^&#]*/gi;

/** Hides the password of a URL (and password-like query parameters): `postgresql://app:***@host/db`. */
export function maskUrl(url: string): string {
  return url.replace(USERINFO_PASSWORD, '$1***@').replace(SECRET_PARAMS, '$1***');
}

/**
 * Removes known secrets from text we did not write ourselves (driver error messages), and masks
 * any URL in it, so that no password reaches an error, a log line or a health report.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = maskUrl(text);
  for (const secret of secrets) {
    if (secret.length > 0) {
      out = out.split(secret).join('***');
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join('***');
    }
  }
  return out;
}
