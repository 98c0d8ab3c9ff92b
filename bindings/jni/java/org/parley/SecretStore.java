package org.parley;

/**
 * The platform key store supplied by the host (the C ABI's parley_key_store): on Android the
 * Keystore, on a desktop a file or the desktop's keyring. Names are short ASCII
 * ([A-Za-z0-9._-]). Called on the thread of the device call that needs the key (create,
 * unlock, changePassphrase, wipe), never concurrently for one device.
 *
 * <p>An exception thrown by a method is reported to Parley as an I/O error of the key store
 * (the device call then fails with {@link ParleyException#IO_ERROR}).
 */
public interface SecretStore {
  /** Stores {@code secret} under {@code name}, replacing any previous one; durable on return. */
  void put(String name, byte[] secret);

  /**
   * A fresh copy of the secret named {@code name}, or null when there is none. The binding
   * overwrites the returned array with zeros once it has copied it.
   */
  byte[] get(String name);

  /** Destroys the secret; nothing happens when there is none. */
  void erase(String name);
}
