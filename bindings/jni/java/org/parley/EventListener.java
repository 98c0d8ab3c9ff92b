package org.parley;

/**
 * Receives a device's events (parley_set_event_handler). Called on the thread that runs the call
 * causing the event: the caller's thread for {@link Device#sync()}, bundle imports, enrolment and
 * member calls; a thread of the library (attached to the JVM for the call) for the background
 * sync ({@link Device#startSync()}). One event at a time per device.
 *
 * <p>A listener must return quickly. On its device it may call only {@link Device#wake()},
 * {@link Device#networkChanged(boolean)}, {@link Device#syncState()} and {@link
 * Device#stopSync(long)} (which then does not wait); any other call throws a ParleyException
 * BUSY at once, and every call throws once {@link Device#close()} has begun. An exception the
 * listener throws is kept and thrown when the call that caused the event returns (for the
 * background sync: by the device's next call), wrapped in an IllegalStateException when it is
 * checked.
 */
@FunctionalInterface
public interface EventListener {
  void onEvent(DeviceEvent event);
}
