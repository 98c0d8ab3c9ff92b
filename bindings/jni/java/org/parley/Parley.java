package org.parley;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Loads the native binding and answers what needs no device: the library's version and whether a
 * directory holds a store.
 *
 * <p>Loading: when the system property {@code org.parley.library} is set, it is the absolute
 * path of {@code libparley_jni.so}, loaded with {@link System#load}; otherwise {@code
 * System.loadLibrary("parley_jni")} searches {@code java.library.path} (on Android: the app's
 * native libraries). libparley_jni.so finds libparley.so through its run path or the system's
 * library path. A failure to load is an {@link UnsatisfiedLinkError} on first use of this class
 * or of {@link Device}.
 */
public final class Parley {
  /** The system property naming the JNI library's path. */
  public static final String LIBRARY_PROPERTY = "org.parley.library";

  static {
    String path = System.getProperty(LIBRARY_PROPERTY);
    if (path != null && !path.isEmpty()) {
      System.load(path);
    } else {
      System.loadLibrary("parley_jni");
    }
  }

  private Parley() {}

  /** Makes sure the native library is loaded (its static initializer ran). */
  static void load() {}

  /** The version of the libparley actually loaded, e.g. "0.1.0" (parley_version()). */
  public static String version() {
    return new String(nativeVersion(), StandardCharsets.UTF_8);
  }

  /** (major << 16) | (minor << 8) | patch of the libparley actually loaded. */
  public static int versionNumber() {
    return nativeVersionNumber();
  }

  /** True when {@code dataDir} holds a Parley store (parley_store_exists()). */
  public static boolean storeExists(Path dataDir) {
    return nativeStoreExists(Device.utf8(dataDir.toString()));
  }

  /** "locked", "wrong_passphrase", ... for a code of {@link ParleyException}. */
  public static String codeName(int code) {
    return new String(nativeCodeName(code), StandardCharsets.UTF_8);
  }

  /** "platform", "store", ... for a domain of {@link ParleyException}. */
  public static String domainName(int domain) {
    return new String(nativeDomainName(domain), StandardCharsets.UTF_8);
  }

  private static native byte[] nativeVersion();

  private static native int nativeVersionNumber();

  private static native boolean nativeStoreExists(byte[] dataDir);

  private static native byte[] nativeCodeName(int code);

  private static native byte[] nativeDomainName(int domain);
}
