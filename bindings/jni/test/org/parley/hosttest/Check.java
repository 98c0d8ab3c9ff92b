package org.parley.hosttest;

import java.util.Objects;
import org.parley.ParleyException;

/**
 * The host test's assertions. A failed check throws {@link Failure}, which HostTest's main
 * reports (with the check's message) after its cleanup, and the program exits 1.
 */
final class Check {
  private Check() {}

  /** A failed check. Not an AssertionError: checks run whether or not the JVM has -ea. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }

    Failure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static void that(boolean condition, String what) {
    if (!condition) throw new Failure(what);
  }

  static void equal(Object expected, Object actual, String what) {
    if (!Objects.equals(expected, actual)) {
      throw new Failure(what + ": expected <" + expected + "> but was <" + actual + ">");
    }
  }

  static void atLeast(long minimum, long actual, String what) {
    if (actual < minimum) throw new Failure(what + ": expected at least " + minimum + " but was " + actual);
  }

  interface Call {
    void run() throws Exception;
  }

  /** Runs `call`, which must throw a ParleyException with `code`; returns it. */
  static ParleyException fails(int code, String what, Call call) {
    try {
      call.run();
    } catch (ParleyException e) {
      if (e.code() != code) {
        throw new Failure(what + ": expected code " + ParleyException.codeName(code) + " but got "
            + e.getMessage(), e);
      }
      return e;
    } catch (Exception e) {
      throw new Failure(what + ": expected a ParleyException " + ParleyException.codeName(code)
          + " but got " + e, e);
    }
    throw new Failure(what + ": expected a ParleyException " + ParleyException.codeName(code)
        + " but the call succeeded");
  }
}
