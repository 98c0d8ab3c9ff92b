package org.parley;

/**
 * Receives a device's events (parley_set_event_handler). Called on the thread that runs the call
 * causing the event: the caller's thread for {@link Device#sync()}, bundle imports, enrolment and
 * member calls; a thread of the library (attached to the JVM for the call) for the background
 * sync ({@link Device#startSync()}). One event at a time per device.
 *
 * <p>A listener must return quickly and must not call the device, except {@link Device#wake()},
 * {@link Device#networkChanged(boolean)} and {@link Device#stopSync(long)} with deadline 0. An
 * exception it throws is kept and thrown by the device's next call (from the thread that makes
 * it), wrapped in an IllegalStateException when it is checked.
 */
@FunctionalInterface
public interface EventListener {
  void onEvent(DeviceEvent event);
}
