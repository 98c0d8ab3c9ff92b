package org.parley;

/**
 * A failed Parley call: the C ABI's {@code parley_error} (domain, code, message) as a Java
 * exception. Domains and codes are the stable numbers of parley.h ({@code PARLEY_DOMAIN_*},
 * {@code PARLEY_CODE_*}); the message is one line meant for a person and never holds secrets or
 * plaintext. Unchecked: every call of {@link Device} may throw it.
 */
public final class ParleyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  // Domains (parley.h PARLEY_DOMAIN_*).
  public static final int DOMAIN_NONE = 0;
  public static final int DOMAIN_PLATFORM = 1;
  public static final int DOMAIN_CRYPTO = 2;
  public static final int DOMAIN_STORE = 3;
  public static final int DOMAIN_LOG = 4;
  public static final int DOMAIN_MODEL = 5;
  public static final int DOMAIN_SYNC = 6;
  public static final int DOMAIN_APP = 7;
  /** The C ABI itself: a NULL or malformed argument, bad JSON, a callback that re-entered. */
  public static final int DOMAIN_API = 8;

  // Codes (parley.h PARLEY_CODE_*).
  public static final int OK = 0;
  public static final int INVALID_ARGUMENT = 1;
  public static final int NOT_FOUND = 2;
  public static final int ALREADY_EXISTS = 3;
  public static final int CORRUPT = 4;
  public static final int WRONG_PASSPHRASE = 5;
  public static final int MISSING_SECRET = 6;
  public static final int IO_ERROR = 7;
  public static final int DISK_FULL = 8;
  public static final int BUSY = 9;
  public static final int LOCKED = 10;
  public static final int UNSUPPORTED = 11;
  public static final int PERMISSION_DENIED = 12;
  public static final int CONFLICT = 13;
  public static final int INTERNAL = 14;
  public static final int UNAVAILABLE = 15;
  public static final int CANCELLED = 16;
  public static final int THROTTLED = 17;
  public static final int WIPED = 18;

  private static final String[] DOMAIN_NAMES = {
    "none", "platform", "crypto", "store", "log", "model", "sync", "app", "api"
  };
  private static final String[] CODE_NAMES = {
    "ok", "invalid_argument", "not_found", "already_exists", "corrupt", "wrong_passphrase",
    "missing_secret", "io_error", "disk_full", "busy", "locked", "unsupported",
    "permission_denied", "conflict", "internal", "unavailable", "cancelled", "throttled", "wiped"
  };

  private final int domain;
  private final int code;
  private final String detail;

  /** Called by the native glue (and usable by callers): domain, code and the plain message. */
  public ParleyException(int domain, int code, String message) {
    super(domainName(domain) + ": " + codeName(code) + ": " + message);
    this.domain = domain;
    this.code = code;
    this.detail = message;
  }

  /** From the native glue: the message is parley_error's UTF-8 bytes. */
  static ParleyException fromNative(int domain, int code, byte[] message) {
    return new ParleyException(domain, code, new String(message, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Where the error comes from: one of the DOMAIN_ constants. */
  public int domain() {
    return domain;
  }

  /** What went wrong: one of the code constants (NOT_FOUND, LOCKED, ...). */
  public int code() {
    return code;
  }

  /** The message alone, without the "domain: code: " prefix of {@link #getMessage()}. */
  public String detail() {
    return detail;
  }

  public static String domainName(int domain) {
    return domain >= 0 && domain < DOMAIN_NAMES.length ? DOMAIN_NAMES[domain] : "domain_" + domain;
  }

  public static String codeName(int code) {
    return code >= 0 && code < CODE_NAMES.length ? CODE_NAMES[code] : "code_" + code;
  }
}
