package org.parley;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One Parley device: a handle on one data directory (the C ABI's parley_device). Every call maps
 * to one function of parley.h (docs/c-api.md); a failed call throws {@link ParleyException}
 * with the C ABI's domain, code and message.
 *
 * <p>Structured results are the C ABI's JSON, parsed by {@link Json} into maps and lists (the
 * shapes are in docs/c-api.md); structured inputs (records, queries, edits) are maps written
 * as JSON. Strings cross the boundary as UTF-8 bytes, so any Unicode text passes unchanged.
 *
 * <p>Lifecycle: {@link #open}, then {@link #create} or {@link #unlock}, ..., {@link #close()}
 * (stops a background sync, locks and frees; idempotent). Threads: any thread may call; the
 * library runs one call per device at a time. Events go to the {@link EventListener} set with
 * {@link #setEventListener} (see there for its thread).
 */
public final class Device implements AutoCloseable {
  static {
    Parley.load();
  }

  /** Options of {@link #open}: the key store and the sync client's timing. */
  public static final class Options {
    private Path keyStoreDir;
    private SecretStore secretStore;
    private long backoffBaseMs;
    private long backoffCapMs;
    private long connectTimeoutMs;
    private long ioTimeoutMs;

    /** The directory of the file key store (one 0600 file per secret); unused with a SecretStore. */
    public Options keyStoreDir(Path dir) {
      this.keyStoreDir = dir;
      return this;
    }

    /** The host's key store (Android Keystore...); null: the file key store. */
    public Options secretStore(SecretStore store) {
      this.secretStore = store;
      return this;
    }

    /** Reconnection backoff of the sync client (exponential, with jitter); 0: the defaults. */
    public Options backoff(long baseMs, long capMs) {
      this.backoffBaseMs = baseMs;
      this.backoffCapMs = capMs;
      return this;
    }

    /** Connect and I/O timeouts of the sync client; 0: the defaults. */
    public Options timeouts(long connectMs, long ioMs) {
      this.connectTimeoutMs = connectMs;
      this.ioTimeoutMs = ioMs;
      return this;
    }
  }

  /** Options of {@link #create} (parley_create_options); the defaults suit an app. */
  public static final class CreateOptions {
    private long argon2Ops;
    private long argon2MemBytes;
    private boolean issueRecoveryKey = true;
    private int wipeAfter;

    /** Argon2id cost of the passphrase; 0: the defaults. Never below the library's floor. */
    public CreateOptions argon2(long ops, long memBytes) {
      this.argon2Ops = ops;
      this.argon2MemBytes = memBytes;
      return this;
    }

    /** With a vault: issue its recovery key ({@link #takeRecoveryKey()}). Default true. */
    public CreateOptions issueRecoveryKey(boolean issue) {
      this.issueRecoveryKey = issue;
      return this;
    }

    /** Wipe the store after this many consecutive failed unlocks; 0 (default): never. */
    public CreateOptions wipeAfter(int failedUnlocks) {
      this.wipeAfter = failedUnlocks;
      return this;
    }
  }

  /** What {@link #invite} returns: the invite file's bytes and the C ABI's JSON about it. */
  public static final class Invite {
    private final byte[] bytes;
    private final Map<String, Object> info;

    Invite(byte[] bytes, Map<String, Object> info) {
      this.bytes = bytes;
      this.info = info;
    }

    /** The invite file (sealed keys inside): for {@link #joinWithInvite} on the new device. */
    public byte[] bytes() {
      return bytes.clone();
    }

    /** {"vault_id","safety_code","relays":[{"relay","ok","code","message"}]}. */
    public Map<String, Object> info() {
      return info;
    }
  }

  // Operations of nativeCall (the glue's table; keep in step with native/parley_jni.cc).
  private static final int OP_DEVICE_NAME = 0;
  private static final int OP_PAIRING_CODE = 1;
  private static final int OP_VAULT_INFO = 2;
  private static final int OP_VAULT_CREATE = 3;
  private static final int OP_TAKE_RECOVERY_KEY = 4;
  private static final int OP_RECORD_CREATE = 5;
  private static final int OP_RECORD_EDIT = 6;
  private static final int OP_RECORD_DELETE = 7;
  private static final int OP_RECORD_LIST = 8;
  private static final int OP_RECORD_SHOW = 9;
  private static final int OP_RECORD_HISTORY = 10;
  private static final int OP_SEARCH = 11;
  private static final int OP_BOTTOM_LINE = 12;
  private static final int OP_CAMPAIGN_STATUS_SET = 13;
  private static final int OP_CONFLICTS = 14;
  private static final int OP_CONFLICT_RESOLVE = 15;
  private static final int OP_BUNDLE_STATE = 16;
  private static final int OP_BUNDLE_EXPORT = 17;
  private static final int OP_BUNDLE_IMPORT = 18;
  private static final int OP_JOIN_WITH_INVITE = 19;
  private static final int OP_JOIN_THROUGH_RELAYS = 20;
  private static final int OP_MEMBERS = 21;
  private static final int OP_MEMBER_PROMOTE = 22;
  private static final int OP_MEMBER_DEMOTE = 23;
  private static final int OP_MEMBER_REVOKE = 24;
  private static final int OP_RELAY_ADD = 25;
  private static final int OP_RELAY_LIST = 26;
  private static final int OP_RELAY_REMOVE = 27;
  private static final int OP_SYNC = 28;
  private static final int OP_STATUS = 29;

  // Guards `handle`: calls hold the read lock, close() the write lock.
  private final ReentrantReadWriteLock handleLock = new ReentrantReadWriteLock();
  private final SecretStore secretStore;
  private final AtomicReference<Throwable> listenerFailure = new AtomicReference<>();
  private volatile EventListener listener;
  private long handle;  // the glue's context (parley_device inside); 0 once closed
  private volatile boolean closing;

  private Device(SecretStore secretStore) {
    this.secretStore = secretStore;
  }

  /**
   * A locked handle on {@code dataDir} (parley_device_open); reads no key yet. {@code options}
   * may be null (the default file key store).
   */
  public static Device open(Path dataDir, Options options) {
    Options o = options != null ? options : new Options();
    Device device = new Device(o.secretStore);
    device.handle = nativeOpen(device, utf8(dataDir.toString()),
        o.keyStoreDir == null ? null : utf8(o.keyStoreDir.toString()), o.secretStore != null,
        o.backoffBaseMs, o.backoffCapMs, o.connectTimeoutMs, o.ioTimeoutMs);
    return device;
  }

  /** Stops a background sync, locks (zeroes every key) and frees. Idempotent. Not from a listener. */
  @Override
  public void close() {
    // From here on new calls fail at once: a listener of the background sync that calls the
    // device while close() waits for that sync cannot block on the lock below.
    closing = true;
    handleLock.readLock().lock();
    try {
      if (handle != 0) nativeSyncStop(handle, 10_000);
    } finally {
      handleLock.readLock().unlock();
    }
    handleLock.writeLock().lock();
    try {
      if (handle != 0) {
        long h = handle;
        handle = 0;
        nativeFree(h);
      }
    } finally {
      handleLock.writeLock().unlock();
    }
  }

  // ---- Lifecycle ----

  /**
   * Creates the store (and the vault {@code vaultName} when not empty: this device is its admin)
   * and leaves the device unlocked. ALREADY_EXISTS when a store is there; INVALID_ARGUMENT for a
   * passphrase below the strength floor.
   */
  public void create(String deviceName, String vaultName, String passphrase, CreateOptions options) {
    CreateOptions o = options != null ? options : new CreateOptions();
    byte[] secret = utf8(passphrase);
    try {
      run(h -> {
        nativeCreate(h, utf8(deviceName), utf8(vaultName), secret, o.argon2Ops, o.argon2MemBytes,
            o.issueRecoveryKey, o.wipeAfter);
        return null;
      });
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /** Opens the store: NOT_FOUND, WRONG_PASSPHRASE, THROTTLED, WIPED, MISSING_SECRET, CORRUPT, BUSY. */
  public void unlock(String passphrase) {
    byte[] secret = utf8(passphrase);
    try {
      run(h -> {
        nativeUnlock(h, secret);
        return null;
      });
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  public void changePassphrase(String current, String next) {
    byte[] a = utf8(current);
    byte[] b = utf8(next);
    try {
      run(h -> {
        nativeChangePassphrase(h, a, b);
        return null;
      });
    } finally {
      Arrays.fill(a, (byte) 0);
      Arrays.fill(b, (byte) 0);
    }
  }

  /** Stops a background sync, checkpoints, closes and zeroes every key. Idempotent. */
  public void lock() {
    run(h -> {
      nativeLock(h);
      return null;
    });
  }

  /** Panic wipe: keys first, then every file. The handle stays open (locked); close it as usual. */
  public void wipe() {
    run(h -> {
      nativeWipe(h);
      return null;
    });
  }

  public boolean isUnlocked() {
    return run(Device::nativeIsUnlocked);
  }

  // ---- This device and its vault ----

  public String deviceName() {
    return text(OP_DEVICE_NAME, null, null);
  }

  /** "parley-device:...": what an admin needs to invite this device. */
  public String pairingCode() {
    return text(OP_PAIRING_CODE, null, null);
  }

  /** {"id","name"} of the vault, or null when the device belongs to no vault yet. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> vault() {
    return (Map<String, Object>) Json.parse(text(OP_VAULT_INFO, null, null));
  }

  public void createVault(String name) {
    call(OP_VAULT_CREATE, utf8(name), null);
  }

  /** The recovery key issued by the last create with a vault, once (NOT_FOUND afterwards). */
  public String takeRecoveryKey() {
    return text(OP_TAKE_RECOVERY_KEY, null, null);
  }

  // ---- Records (docs/c-api.md, "Records") ----

  /**
   * Creates a record, e.g. {"type":"note","negotiation":ID,"fields":{"text":"..."}}; its id.
   */
  public String createRecord(Map<String, ?> record) {
    return Json.string(json(OP_RECORD_CREATE, Json.write(record), null), "id");
  }

  /** Sets the given fields: {"id","type","fields":{...}}. The names of the fields written. */
  @SuppressWarnings("unchecked")
  public List<String> editRecord(Map<String, ?> edit) {
    return (List<String>) (List<?>) json(OP_RECORD_EDIT, Json.write(edit), null).get("written");
  }

  /** Deletes a record (a negotiation with its records); how many records were deleted. */
  public long deleteRecord(String id, String type) {
    return Json.integer(json(OP_RECORD_DELETE, id, type), "deleted");
  }

  /** {"total":N,"records":[...]} for a query {"type", filters, "limit", "offset"}. */
  public Map<String, Object> listRecords(Map<String, ?> query) {
    return json(OP_RECORD_LIST, Json.write(query), null);
  }

  /** Everything about one record; {@code type} may be "" (any type). */
  public Map<String, Object> showRecord(String id, String type) {
    return json(OP_RECORD_SHOW, id, type);
  }

  /** {"history":[...]}: every operation on the record, oldest first. */
  public Map<String, Object> recordHistory(String id) {
    return json(OP_RECORD_HISTORY, id, null);
  }

  /** {"hits":[...]} for {"query":"words","negotiation","limit","offset"}. */
  public Map<String, Object> search(Map<String, ?> query) {
    return json(OP_SEARCH, Json.write(query), null);
  }

  public Map<String, Object> bottomLine(String negotiationId) {
    return json(OP_BOTTOM_LINE, negotiationId, null);
  }

  /** Sets a negotiation's campaign status; {"warning":"none"|...}. */
  public Map<String, Object> setCampaignStatus(String negotiationId, String status) {
    return json(OP_CAMPAIGN_STATUS_SET, negotiationId, status);
  }

  /** The conflicted fields: each {"record","type","field","values":[...]}. */
  public List<Map<String, Object>> conflicts() {
    return Json.objects(json(OP_CONFLICTS, null, null), "conflicts");
  }

  /** Resolves a field to a value. */
  public void resolve(String record, String field, String value) {
    call(OP_CONFLICT_RESOLVE, utf8(Json.write(Map.of("record", record, "field", field, "value", value))), null);
  }

  /** Resolves a field to its {@code version}th listed version (1 = the first). */
  public void resolvePick(String record, String field, long version) {
    call(OP_CONFLICT_RESOLVE, utf8(Json.write(Map.of("record", record, "field", field, "version", version))),
        null);
  }

  // ---- Bundles ----

  public String bundleState() {
    return text(OP_BUNDLE_STATE, null, null);
  }

  public Map<String, Object> exportBundle(Path path, String sinceState) {
    return json(OP_BUNDLE_EXPORT, path.toString(), sinceState == null ? "" : sinceState);
  }

  public Map<String, Object> importBundle(Path path) {
    return json(OP_BUNDLE_IMPORT, path.toString(), null);
  }

  // ---- Enrolment and members ----

  /** On an admin: approves the device with this pairing code and publishes its invite. */
  public Invite invite(String pairingCode) {
    byte[][] out = run(h -> nativeInvite(h, utf8(pairingCode)));
    return new Invite(out[0], Json.parseObject(new String(out[1], StandardCharsets.UTF_8)));
  }

  public Map<String, Object> joinWithInvite(byte[] invite) {
    return Json.parseObject(new String(call(OP_JOIN_WITH_INVITE, invite.clone(), null), StandardCharsets.UTF_8));
  }

  /** On a new device with pinned relays: fetches its invite, joins and syncs. */
  public Map<String, Object> joinThroughRelays(String vaultId) {
    return json(OP_JOIN_THROUGH_RELAYS, vaultId == null ? "" : vaultId, null);
  }

  public List<Map<String, Object>> members() {
    return Json.objects(json(OP_MEMBERS, null, null), "members");
  }

  public Map<String, Object> promote(String member) {
    return json(OP_MEMBER_PROMOTE, member, null);
  }

  public Map<String, Object> demote(String member) {
    return json(OP_MEMBER_DEMOTE, member, null);
  }

  /** On an admin: revokes a member (name or id prefix) and publishes it with one sync. */
  public Map<String, Object> revoke(String member) {
    return json(OP_MEMBER_REVOKE, member, null);
  }

  // ---- Relays ----

  public Map<String, Object> addRelay(String pairingCode) {
    return json(OP_RELAY_ADD, pairingCode, null);
  }

  public List<Map<String, Object>> relays() {
    return Json.objects(json(OP_RELAY_LIST, null, null), "relays");
  }

  public Map<String, Object> removeRelay(String relay) {
    return json(OP_RELAY_REMOVE, relay, null);
  }

  // ---- Sync ----

  /** One exchange with every pinned relay, on this thread (events too); {"relays":[...]}. */
  public Map<String, Object> sync() {
    return json(OP_SYNC, null, null);
  }

  /** Starts the background sync on a thread of the library (events on that thread). */
  public void startSync() {
    run(h -> {
      nativeSyncStart(h);
      return null;
    });
  }

  /**
   * Asks a running sync to stop and waits at most {@code deadlineMs} (0: not at all); true when
   * no sync runs any more on return.
   */
  public boolean stopSync(long deadlineMs) {
    return run(h -> nativeSyncStop(h, deadlineMs));
  }

  /** The host's connectivity changed. Never blocks. */
  public void networkChanged(boolean available) {
    run(h -> {
      nativeNetworkChanged(h, available);
      return null;
    });
  }

  /** A watching device pushes local changes now. Never blocks. */
  public void wake() {
    run(h -> {
      nativeWake(h);
      return null;
    });
  }

  /** The background sync's state: one of DeviceEvent.SYNC_*. */
  public int syncState() {
    return run(Device::nativeSyncState);
  }

  /** Where this device's changes stand (parley_status). */
  public Map<String, Object> status() {
    return json(OP_STATUS, null, null);
  }

  // ---- Events ----

  /** Sets (or with null removes) the listener of this device's events. */
  public void setEventListener(EventListener listener) {
    this.listener = listener;
  }

  // Called by the glue for every event, on the thread the C ABI calls back on.
  @SuppressWarnings("unused")
  private void onNativeEvent(int kind, byte[] relay, long count, int domain, int code, byte[] message,
      long retryMs, int syncState, byte[] json) {
    EventListener l = listener;
    if (l == null) return;
    try {
      l.onEvent(new DeviceEvent(kind, str(relay), count, domain, code, str(message), retryMs, syncState,
          str(json)));
    } catch (Throwable t) {
      listenerFailure.compareAndSet(null, t);
    }
  }

  // The key store bridge, called by the glue. Each returns a parley_code.
  @SuppressWarnings("unused")
  private int keyStorePut(byte[] name, byte[] secret) {
    try {
      secretStore.put(str(name), secret);
      return ParleyException.OK;
    } catch (RuntimeException e) {
      return ParleyException.IO_ERROR;
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  // The secret, or null when there is none; a thrown exception is reported as an I/O error.
  @SuppressWarnings("unused")
  private byte[] keyStoreGet(byte[] name) {
    return secretStore.get(str(name));
  }

  @SuppressWarnings("unused")
  private int keyStoreErase(byte[] name) {
    try {
      secretStore.erase(str(name));
      return ParleyException.OK;
    } catch (RuntimeException e) {
      return ParleyException.IO_ERROR;
    }
  }

  // ---- Plumbing ----

  static byte[] utf8(String s) {
    return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return b == null ? "" : new String(b, StandardCharsets.UTF_8);
  }

  private interface NativeCall<T> {
    T apply(long handle);
  }

  // Runs a native call on the open handle; then throws what a listener threw meanwhile.
  private <T> T run(NativeCall<T> call) {
    T result;
    if (closing && handleLock.getReadHoldCount() == 0) throw closed();
    handleLock.readLock().lock();
    try {
      if (handle == 0) throw closed();
      result = call.apply(handle);
    } finally {
      handleLock.readLock().unlock();
    }
    Throwable failure = listenerFailure.getAndSet(null);
    if (failure instanceof RuntimeException) throw (RuntimeException) failure;
    if (failure instanceof Error) throw (Error) failure;
    if (failure != null) throw new IllegalStateException("an event listener failed", failure);
    return result;
  }

  private static ParleyException closed() {
    return new ParleyException(ParleyException.DOMAIN_API, ParleyException.INVALID_ARGUMENT, "the device is closed");
  }

  private byte[] call(int op, byte[] a, byte[] b) {
    return run(h -> nativeCall(h, op, a, b));
  }

  private String text(int op, String a, String b) {
    return str(call(op, a == null ? null : utf8(a), b == null ? null : utf8(b)));
  }

  private Map<String, Object> json(int op, String a, String b) {
    return Json.parseObject(text(op, a, b));
  }

  // ---- Native methods (native/parley_jni.cc). Each throws ParleyException on failure. ----

  private static native long nativeOpen(Device self, byte[] dataDir, byte[] keyStoreDir, boolean hostKeyStore,
      long backoffBaseMs, long backoffCapMs, long connectTimeoutMs, long ioTimeoutMs);

  private static native void nativeFree(long handle);

  private static native void nativeCreate(long handle, byte[] deviceName, byte[] vaultName, byte[] passphrase,
      long argon2Ops, long argon2MemBytes, boolean issueRecoveryKey, int wipeAfter);

  private static native void nativeUnlock(long handle, byte[] passphrase);

  private static native void nativeChangePassphrase(long handle, byte[] current, byte[] next);

  private static native void nativeLock(long handle);

  private static native void nativeWipe(long handle);

  private static native boolean nativeIsUnlocked(long handle);

  // The functions that take up to two strings and return a string (or nothing: null).
  private static native byte[] nativeCall(long handle, int op, byte[] a, byte[] b);

  // {invite bytes, JSON}
  private static native byte[][] nativeInvite(long handle, byte[] pairingCode);

  private static native void nativeSyncStart(long handle);

  private static native boolean nativeSyncStop(long handle, long deadlineMs);

  private static native void nativeNetworkChanged(long handle, boolean available);

  private static native void nativeWake(long handle);

  private static native int nativeSyncState(long handle);
}
