package org.parley;

import java.util.Map;

/** One event of a device (the C ABI's parley_event), copied: valid after the callback too. */
public final class DeviceEvent {
  /** What happened (parley_event_kind). */
  public enum Kind {
    /** {@link #count()} new changes were applied (from {@link #relay()}, or a bundle when ""). */
    CHANGES_ARRIVED(1),
    /** The number of conflicted fields is now {@link #count()}. */
    CONFLICTS_CHANGED(2),
    /** The background sync connected to {@link #relay()}. */
    CONNECTED(3),
    /** The background sync lost {@link #relay()} (code and message say why); retry in retryMs. */
    DISCONNECTED(4),
    /** An exchange with {@link #relay()} moved something ({@link #json()}: the relay result). */
    SYNCED(5),
    /** The vault revoked this device: its keys and data are destroyed ({@link #json()}: by whom). */
    REVOKED_AND_WIPED(6),
    /** The background sync is now in state {@link #syncState()}. */
    SYNC_STATE(7),
    /** A kind this binding does not know yet (a newer library). */
    UNKNOWN(0);

    private final int value;

    Kind(int value) {
      this.value = value;
    }

    /** The parley_event_kind number. */
    public int value() {
      return value;
    }

    static Kind of(int value) {
      for (Kind k : values()) {
        if (k.value == value) return k;
      }
      return UNKNOWN;
    }
  }

  // Background sync states (parley_sync_state; Device.syncState()).
  public static final int SYNC_STOPPED = 0;
  public static final int SYNC_WAITING_NETWORK = 1;
  public static final int SYNC_CONNECTING = 2;
  public static final int SYNC_BACKOFF = 3;
  public static final int SYNC_PAUSED = 4;

  private final Kind kind;
  private final int rawKind;
  private final String relay;
  private final long count;
  private final int domain;
  private final int code;
  private final String message;
  private final long retryMs;
  private final int syncState;
  private final String json;

  DeviceEvent(int rawKind, String relay, long count, int domain, int code, String message, long retryMs,
      int syncState, String json) {
    this.kind = Kind.of(rawKind);
    this.rawKind = rawKind;
    this.relay = relay;
    this.count = count;
    this.domain = domain;
    this.code = code;
    this.message = message;
    this.retryMs = retryMs;
    this.syncState = syncState;
    this.json = json;
  }

  public Kind kind() {
    return kind;
  }

  /** The parley_event_kind number (also for {@link Kind#UNKNOWN}). */
  public int rawKind() {
    return rawKind;
  }

  /** The relay's label; "" when none. */
  public String relay() {
    return relay;
  }

  public long count() {
    return count;
  }

  /** DISCONNECTED, SYNC_STATE: the error's domain and code (0 when none) and its message. */
  public int domain() {
    return domain;
  }

  public int code() {
    return code;
  }

  public String message() {
    return message;
  }

  public long retryMs() {
    return retryMs;
  }

  /** SYNC_STATE: one of the SYNC_ constants. */
  public int syncState() {
    return syncState;
  }

  /** SYNCED: the relay result; REVOKED_AND_WIPED: {"by","by_name","at_ms"}; "" otherwise. */
  public String json() {
    return json;
  }

  /** {@link #json()} parsed; an empty map when it is "". */
  public Map<String, Object> jsonObject() {
    return json.isEmpty() ? Map.of() : Json.parseObject(json);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(kind.name()).append('{');
    if (!relay.isEmpty()) s.append("relay=").append(relay).append(' ');
    s.append("count=").append(count);
    if (code != 0) {
      s.append(' ').append(ParleyException.domainName(domain)).append(": ").append(ParleyException.codeName(code))
          .append(": ").append(message);
    }
    if (retryMs != 0) s.append(" retry_ms=").append(retryMs);
    if (kind == Kind.SYNC_STATE) s.append(" state=").append(syncState);
    if (!json.isEmpty()) s.append(' ').append(json);
    return s.append('}').toString();
  }
}
