package org.parley.hosttest;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.parley.Device;
import org.parley.DeviceEvent;
import org.parley.Json;
import org.parley.Parley;
import org.parley.ParleyException;
import org.parley.SecretStore;

/**
 * The JVM host test (no JUnit): loads libparley through the Java binding alone and drives two
 * devices through a real parley-relay process. Ana's phone creates the vault and enrols Ben's
 * laptop through the relay; each writes a note and sees the other's after a sync; a field
 * edited on both at once becomes a conflict, which Ana resolves; Ben's background sync
 * delivers a change on a thread of the library; Ana revokes Ben, whose next sync wipes it.
 * Events arrive through the Java listener. Any failed check ends the program with exit code 1
 * and a message saying what was expected; the relay is stopped and the temporary directory
 * removed in every case.
 *
 * <p>Usage: java -Dorg.parley.library=/path/libparley_jni.so -cp ... org.parley.hosttest.HostTest
 * /path/parley-relay
 */
public final class HostTest {
  // Text beyond ASCII and beyond the BMP: it must cross the binding unchanged (no modified UTF-8).
  private static final String VAULT_NAME = "Cooperativa Café 🌱";
  private static final String ANA = "Ana's phone ✓";
  private static final String BEN = "Ben's laptop";
  private static final String PASSPHRASE_A = "correct horse battery staple orbit 42";
  private static final String PASSPHRASE_B = "quiet violet harbour lantern 1987 ☂";
  private static final long EVENT_TIMEOUT_S = 60;
  // Argon2id at the library's floor (2 passes over 19 MiB), as tests and small phones use.
  private static final Device.CreateOptions FAST_KDF = new Device.CreateOptions().argon2(2, 19L << 20);

  private HostTest() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: HostTest PARLEY_RELAY_BINARY");
      System.exit(2);
    }
    Path root = null;
    int exit = 0;
    try {
      root = Files.createTempDirectory("parley-jni-");
      run(args[0], root);
      step("done");
      System.out.println("parley_jni_host_test: PASS");
    } catch (Check.Failure f) {
      System.err.println("parley_jni_host_test: FAIL: " + f.getMessage());
      if (f.getCause() != null) f.getCause().printStackTrace();
      exit = 1;
    } catch (Throwable t) {
      System.err.println("parley_jni_host_test: FAIL: unexpected " + t);
      t.printStackTrace();
      exit = 1;
    } finally {
      if (root != null) {
        try {
          deleteTree(root);
          if (Files.exists(root)) throw new IOException(root + " still exists");
        } catch (IOException e) {
          System.err.println("parley_jni_host_test: FAIL: could not remove " + root + ": " + e);
          exit = 1;
        }
      }
    }
    System.exit(exit);
  }

  /** An event and the name of the thread it arrived on. */
  private static final class Seen {
    final DeviceEvent event;
    final String thread;

    Seen(DeviceEvent event, String thread) {
      this.event = event;
      this.thread = thread;
    }

    @Override
    public String toString() {
      return event + " on " + thread;
    }
  }

  /** Every event of one device, in order; waits for one that matches. */
  private static final class Events {
    private final LinkedBlockingQueue<Seen> queue = new LinkedBlockingQueue<>();
    private final List<Seen> all = new ArrayList<>();

    void add(DeviceEvent e) {
      queue.add(new Seen(e, Thread.currentThread().getName()));
    }

    /** Takes events until one matches (waiting up to EVENT_TIMEOUT_S); fails otherwise. */
    Seen await(String what, Predicate<DeviceEvent> match) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EVENT_TIMEOUT_S);
      while (true) {
        long left = deadline - System.nanoTime();
        Seen s = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
        if (s == null) {
          throw new Check.Failure("no " + what + " event within " + EVENT_TIMEOUT_S + " s; events seen: " + all);
        }
        all.add(s);
        if (match.test(s.event)) return s;
      }
    }

    /** Takes the events already delivered; the one that matches, or a failure. */
    Seen took(String what, Predicate<DeviceEvent> match) {
      for (Seen s; (s = queue.poll()) != null; ) {
        all.add(s);
        if (match.test(s.event)) return s;
      }
      throw new Check.Failure("no " + what + " event was delivered; events seen: " + all);
    }

    void drain() {
      queue.drainTo(all);
    }
  }

  /** The host's key store: secrets in memory, as an app would keep them in the Android Keystore. */
  private static final class MemorySecretStore implements SecretStore {
    final Map<String, byte[]> secrets = new HashMap<>();
    int puts;
    int gets;
    int erases;
    boolean failGets;

    @Override
    public synchronized void put(String name, byte[] secret) {
      puts++;
      secrets.put(name, secret.clone());
    }

    @Override
    public synchronized byte[] get(String name) {
      if (failGets) throw new IllegalStateException("the key store is unavailable");
      gets++;
      byte[] s = secrets.get(name);
      return s == null ? null : s.clone();
    }

    @Override
    public synchronized void erase(String name) {
      erases++;
      secrets.remove(name);
    }
  }

  private static void run(String relayBinary, Path root) throws Exception {
    // The library is the one the binding loaded.
    String version = Parley.version();
    int number = Parley.versionNumber();
    System.out.println("libparley " + version + " (" + Integer.toHexString(number) + ")");
    Check.equal(version, (number >> 16) + "." + ((number >> 8) & 0xff) + "." + (number & 0xff),
        "parley_version() and parley_version_number() agree");
    Check.equal("locked", Parley.codeName(ParleyException.LOCKED), "parley_code_name(LOCKED)");

    try (RelayProcess relay = new RelayProcess(relayBinary, root.resolve("relay"))) {
      step("Start parley-relay (init, then serve on 127.0.0.1:0)");
      relay.start();
      String relayCode = relay.pairingCode();
      System.out.println("relay listening on 127.0.0.1:" + relay.port());

      Path dirA = root.resolve("ana");
      Path dirB = root.resolve("ben");
      Events eventsA = new Events();
      Events eventsB = new Events();
      MemorySecretStore keysB = new MemorySecretStore();
      Device[] closedLater = new Device[1];
      Device.Options fast = new Device.Options().backoff(50, 500).timeouts(5_000, 10_000);
      try (Device ana = Device.open(dirA, fast.keyStoreDir(root.resolve("ana-keys")));
           Device ben = Device.open(dirB, new Device.Options().secretStore(keysB).backoff(50, 500)
               .timeouts(5_000, 10_000))) {
        ana.setEventListener(eventsA::add);
        ben.setEventListener(eventsB::add);
        scenario(ana, ben, dirA, dirB, relayCode, eventsA, eventsB, keysB);
        closedLater[0] = ana;
      }
      ParleyException closed = Check.fails(ParleyException.INVALID_ARGUMENT, "a call on a closed device",
          closedLater[0]::deviceName);
      Check.equal(ParleyException.DOMAIN_API, closed.domain(), "a closed device is an API error");
      Check.that(!Parley.storeExists(dirB), "Ben's store is gone after the revocation");
      step("Devices closed; stop the relay");
    }
  }

  private static void scenario(Device ana, Device ben, Path dirA, Path dirB, String relayCode, Events eventsA,
      Events eventsB, MemorySecretStore keysB) throws Exception {
    step("Errors cross as ParleyException with domain, code and message");
    ParleyException locked = Check.fails(ParleyException.LOCKED, "a locked device refuses to name itself",
        ana::deviceName);
    Check.that(!locked.detail().isEmpty(), "a ParleyException carries the library's message");
    Check.fails(ParleyException.NOT_FOUND, "unlocking an empty directory", () -> ben.unlock(PASSPHRASE_B));
    Check.that(!Parley.storeExists(dirA), "no store before create");

    step("Ana creates the vault; Ben creates a store with no vault (his keys in the host's store)");
    ana.create(ANA, VAULT_NAME, PASSPHRASE_A, FAST_KDF);
    Check.that(ana.isUnlocked(), "Ana's device is unlocked after create");
    Check.that(Parley.storeExists(dirA), "Ana's store exists after create");
    Check.equal(ANA, ana.deviceName(), "Ana's device name round-trips as UTF-8");
    Map<String, Object> vault = ana.vault();
    Check.that(vault != null, "Ana's device belongs to a vault");
    Check.equal(VAULT_NAME, Json.string(vault, "name"), "the vault name round-trips (characters beyond the BMP)");
    String vaultId = Json.string(vault, "id");
    Check.equal(64, vaultId.length(), "a vault id is 64 hex characters");
    String recoveryKey = ana.takeRecoveryKey();
    Check.that(!recoveryKey.isEmpty(), "creating a vault issues a recovery key");
    Check.fails(ParleyException.NOT_FOUND, "the recovery key is given once", ana::takeRecoveryKey);
    ParleyException badType = Check.fails(ParleyException.INVALID_ARGUMENT, "a record of an unknown type",
        () -> ana.createRecord(Map.of("type", "no_such_type", "fields", Map.of())));
    Check.that(badType.domain() != ParleyException.DOMAIN_NONE, "an error names its domain: " + badType);

    ben.create(BEN, "", PASSPHRASE_B, FAST_KDF);
    Check.that(ben.vault() == null, "Ben's device belongs to no vault before joining");
    Check.that(keysB.puts > 0 && !keysB.secrets.isEmpty(), "Ben's store key went to the host's SecretStore");
    // Locking and unlocking again reads the key back through the host's store.
    ben.lock();
    Check.that(!ben.isUnlocked(), "Ben's device is locked after lock()");
    Check.fails(ParleyException.WRONG_PASSPHRASE, "a wrong passphrase", () -> ben.unlock("not the passphrase at all"));
    int getsBefore = keysB.gets;
    ben.unlock(PASSPHRASE_B);
    Check.that(keysB.gets > getsBefore, "unlock asked the host's SecretStore for the key");
    // A SecretStore that throws is an I/O error of the key store; the device stays usable.
    ben.lock();
    keysB.failGets = true;
    ParleyException storeFailed = Check.fails(ParleyException.IO_ERROR, "unlock with a failing SecretStore",
        () -> ben.unlock(PASSPHRASE_B));
    Check.equal(ParleyException.DOMAIN_PLATFORM, storeFailed.domain(), "a key store failure is a platform error");
    keysB.failGets = false;
    ben.unlock(PASSPHRASE_B);

    step("Both pin the relay; Ana enrols Ben through it");
    ana.addRelay(relayCode);
    ben.addRelay(relayCode);
    Check.equal(1, ana.relays().size(), "Ana pinned one relay");
    Device.Invite invite = ana.invite(ben.pairingCode());
    Check.that(invite.bytes().length > 0, "the invite has bytes");
    List<Map<String, Object>> published = Json.objects(invite.info(), "relays");
    Check.equal(1, published.size(), "the invite went to the one pinned relay");
    Check.that(Json.bool(published.get(0), "ok"), "the relay took the invite: " + published.get(0));
    Map<String, Object> joined = ben.joinThroughRelays(vaultId);
    Check.equal(vaultId, Json.string(Json.object(joined, "vault"), "id"), "Ben joined Ana's vault");
    Check.equal(VAULT_NAME, Json.string(ben.vault(), "name"), "Ben sees the vault's name");
    Check.equal(Json.string(invite.info(), "safety_code"), Json.string(joined, "safety_code"),
        "both devices show the same safety code");
    Check.equal(2, countCurrentMembers(ana.members()) - countRecovery(ana.members()),
        "Ana's vault has two devices");

    step("Each writes a note; after a sync each sees the other's");
    String negotiation = ana.createRecord(Map.of("type", "negotiation",
        "fields", Map.of("buyer", "Fair Foods", "title", "Premium 2027")));
    String noteA = ana.createRecord(Map.of("type", "note", "negotiation", negotiation,
        "fields", Map.of("text", "Ana: the buyer offers 5 % ☕🍌")));
    syncOk(ana, "Ana pushes her note");
    eventsB.drain();
    syncOk(ben, "Ben pulls Ana's note");
    Seen arrived = eventsB.took("CHANGES_ARRIVED on Ben",
        e -> e.kind() == DeviceEvent.Kind.CHANGES_ARRIVED && e.count() > 0);
    Check.equal(Thread.currentThread().getName(), arrived.thread, "sync() delivers events on the calling thread");
    Check.equal("Ana: the buyer offers 5 % ☕🍌", noteText(ben, noteA), "Ben sees Ana's note, byte for byte");

    String noteB = ben.createRecord(Map.of("type", "note", "negotiation", negotiation,
        "fields", Map.of("text", "Ben: ask for 3 years")));
    syncOk(ben, "Ben pushes his note");
    syncOk(ana, "Ana pulls Ben's note");
    Check.equal("Ben: ask for 3 years", noteText(ana, noteB), "Ana sees Ben's note");
    Check.equal(2L, Json.integer(ana.listRecords(Map.of("type", "note", "negotiation", negotiation)), "total"),
        "Ana lists both notes");
    Check.equal(2L, Json.integer(ben.listRecords(Map.of("type", "note", "negotiation", negotiation)), "total"),
        "Ben lists both notes");

    step("A concurrent edit of one field is a conflict; Ana resolves it");
    ana.editRecord(Map.of("id", noteA, "type", "note", "fields", Map.of("text", "Ana's edit")));
    ben.editRecord(Map.of("id", noteA, "type", "note", "fields", Map.of("text", "Ben's edit")));
    syncOk(ana, "Ana pushes her edit");
    eventsB.drain();
    syncOk(ben, "Ben pushes his edit and pulls Ana's");
    eventsB.took("CONFLICTS_CHANGED to 1 on Ben",
        e -> e.kind() == DeviceEvent.Kind.CONFLICTS_CHANGED && e.count() == 1);
    // Ana's listener throws on the conflict: the sync still applies everything, and the
    // listener's exception comes out of the call.
    eventsA.drain();
    IllegalStateException planted = new IllegalStateException("a listener failed on purpose");
    ana.setEventListener(e -> {
      eventsA.add(e);
      if (e.kind() == DeviceEvent.Kind.CONFLICTS_CHANGED) throw planted;
    });
    try {
      ana.sync();
      throw new Check.Failure("Ana's sync returned although her listener threw");
    } catch (IllegalStateException e) {
      Check.that(e == planted, "the call rethrows the listener's own exception, not " + e);
    }
    ana.setEventListener(eventsA::add);
    eventsA.took("CONFLICTS_CHANGED to 1 on Ana",
        e -> e.kind() == DeviceEvent.Kind.CONFLICTS_CHANGED && e.count() == 1);
    for (Device d : new Device[] {ana, ben}) {
      List<Map<String, Object>> conflicts = d.conflicts();
      Check.equal(1, conflicts.size(), d.deviceName() + " sees one conflicted field");
      Map<String, Object> c = conflicts.get(0);
      Check.equal(noteA, Json.string(c, "record"), "the conflict is on Ana's note");
      Check.equal("text", Json.string(c, "field"), "the conflict is on its text");
      List<Map<String, Object>> values = Json.objects(c, "values");
      Check.equal(2, values.size(), "the conflict keeps both versions");
      List<String> texts = new ArrayList<>();
      for (Map<String, Object> v : values) texts.add(Json.string(v, "value"));
      Check.that(texts.contains("Ana's edit") && texts.contains("Ben's edit"), "both edits survive: " + texts);
    }
    ana.resolve(noteA, "text", "Agreed: 5 % for 3 years");
    Check.equal(0, ana.conflicts().size(), "no conflict left on Ana after resolving");
    syncOk(ana, "Ana pushes the resolution");
    eventsB.drain();
    syncOk(ben, "Ben pulls the resolution");
    eventsB.took("CONFLICTS_CHANGED to 0 on Ben",
        e -> e.kind() == DeviceEvent.Kind.CONFLICTS_CHANGED && e.count() == 0);
    Check.equal(0, ben.conflicts().size(), "no conflict left on Ben");
    Check.equal("Agreed: 5 % for 3 years", noteText(ben, noteA), "Ben sees the resolved text");

    step("Ben's background sync delivers Ana's next note on a thread of the library");
    eventsB.drain();
    // From its listener, on the library's thread, Ben may read the sync state; any other call
    // on the device is BUSY at once (it never deadlocks).
    AtomicInteger stateInListener = new AtomicInteger(-1);
    AtomicInteger reentry = new AtomicInteger(-1);
    ben.setEventListener(e -> {
      if (e.kind() == DeviceEvent.Kind.CONNECTED && reentry.get() == -1) {
        stateInListener.set(ben.syncState());
        try {
          ben.deviceName();
          reentry.set(ParleyException.OK);
        } catch (ParleyException x) {
          reentry.set(x.code());
        }
      }
      eventsB.add(e);
    });
    ben.startSync();
    eventsB.await("CONNECTED on Ben's background sync", e -> e.kind() == DeviceEvent.Kind.CONNECTED);
    Check.equal(ParleyException.codeName(ParleyException.BUSY), ParleyException.codeName(reentry.get()),
        "a device call from the listener of the background sync");
    Check.that(stateInListener.get() != DeviceEvent.SYNC_STOPPED && stateInListener.get() != -1,
        "the listener reads a running sync's state, not " + stateInListener.get());
    ben.setEventListener(eventsB::add);
    String noteC = ana.createRecord(Map.of("type", "note", "negotiation", negotiation,
        "fields", Map.of("text", "Ana: signed")));
    syncOk(ana, "Ana pushes her third note");
    Seen background = eventsB.await("CHANGES_ARRIVED on Ben's background sync",
        e -> e.kind() == DeviceEvent.Kind.CHANGES_ARRIVED && e.count() > 0);
    Check.that(!background.thread.equals(Thread.currentThread().getName()),
        "the background sync calls back on its own thread, not on " + background.thread);
    Check.that(ben.stopSync(10_000), "Ben's background sync stops within 10 s");
    Check.equal(DeviceEvent.SYNC_STOPPED, ben.syncState(), "Ben's sync state after stopping");
    Check.equal("Ana: signed", noteText(ben, noteC), "Ben's background sync applied Ana's third note");

    step("Ana revokes Ben; Ben's next sync wipes him");
    String benId = null;
    for (Map<String, Object> m : ana.members()) {
      if (BEN.equals(Json.string(m, "name"))) benId = Json.string(m, "id");
    }
    Check.that(benId != null, "Ana lists Ben among the members");
    Map<String, Object> revoked = ana.revoke(benId);
    Check.that(Json.bool(Json.object(revoked, "member"), "revoked"), "Ben is revoked: " + revoked);
    for (Map<String, Object> r : Json.objects(revoked, "synced")) {
      Check.that(Json.bool(r, "ok"), "the revocation reached the relay: " + r);
    }
    eventsB.drain();
    ParleyException wiped = Check.fails(ParleyException.PERMISSION_DENIED, "Ben's sync after the revocation",
        ben::sync);
    Check.that(wiped.detail().contains("revoked"), "the error says Ben was revoked: " + wiped.getMessage());
    Seen gone = eventsB.took("REVOKED_AND_WIPED on Ben", e -> e.kind() == DeviceEvent.Kind.REVOKED_AND_WIPED);
    Check.equal(ANA, Json.string(gone.event.jsonObject(), "by_name"), "the event names the revoking admin");
    Check.that(!ben.isUnlocked(), "Ben's device is locked for good");
    Check.that(!Parley.storeExists(dirB), "Ben's store is destroyed");
    Check.that(keysB.secrets.isEmpty() && keysB.erases > 0, "Ben's key was erased from the host's SecretStore");
    Check.fails(ParleyException.LOCKED, "a wiped device refuses calls", ben::deviceName);

    step("Ana goes on");
    Check.equal(3L, Json.integer(ana.listRecords(Map.of("type", "note", "negotiation", negotiation)), "total"),
        "Ana still has the three notes");
    ana.lock();
    Check.that(!ana.isUnlocked(), "Ana's device locks");
  }

  private static long started = System.nanoTime();

  // Prints the step about to run, so the test's log says how far it got.
  private static void step(String what) {
    System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - started) / 1e9, what);
  }

  private static void syncOk(Device d, String what) {
    Map<String, Object> result = d.sync();
    List<Map<String, Object>> relays = Json.objects(result, "relays");
    Check.equal(1, relays.size(), what + ": one relay result");
    Check.that(Json.bool(relays.get(0), "ok"), what + ": the relay exchange failed: " + relays.get(0));
  }

  // The note's text as `d` holds it; fails when the text is in conflict there.
  private static String noteText(Device d, String id) {
    Map<String, Object> shown = d.showRecord(id, "note");
    Check.equal(id, Json.string(shown, "id"), "show returns the note asked for");
    Map<String, Object> conflicts = Json.object(shown, "conflicts");
    Check.that(!conflicts.containsKey("text"), "the note's text is not in conflict: " + conflicts);
    return Json.string(Json.object(shown, "fields"), "text");
  }

  private static int countCurrentMembers(List<Map<String, Object>> members) {
    int n = 0;
    for (Map<String, Object> m : members) {
      if (!Json.bool(m, "revoked")) n++;
    }
    return n;
  }

  private static int countRecovery(List<Map<String, Object>> members) {
    int n = 0;
    for (Map<String, Object> m : members) {
      if (!Json.bool(m, "revoked") && Json.bool(m, "recovery")) n++;
    }
    return n;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) throw e;
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
