package org.parley.hosttest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code parley-relay} process: {@code init --data DIR} once, then {@code serve --data DIR
 * --listen 127.0.0.1:0}. {@link #start()} returns when the relay has logged its
 * "event=listening ... port=N" line; its log (standard error) is read by a thread and kept, so
 * the relay never blocks on a full pipe. {@link #close()} stops it (SIGTERM, then SIGKILL after
 * 10 s) and is also run by a shutdown hook, so the relay never outlives this program, a failed
 * check included. When util-linux's setpriv is on the PATH the relay is started through
 * {@code setpriv --pdeathsig TERM}, so it stops even when this JVM is killed (SIGKILL on a
 * test timeout), which runs no hook.
 */
final class RelayProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("event=listening.*\\bport=(\\d+)");
  private static final Pattern PAIRING_CODE = Pattern.compile("\"pairing_code\"\\s*:\\s*\"([^\"]+)\"");
  private static final long START_TIMEOUT_MS = 30_000;

  private final String binary;
  private final Path dataDir;
  private final StringBuilder log = new StringBuilder();
  private final Thread shutdownHook = new Thread(this::kill, "parley-relay shutdown");
  private Process process;
  private Thread logReader;
  private boolean logClosed;
  private int port;

  RelayProcess(String binary, Path dataDir) {
    this.binary = binary;
    this.dataDir = dataDir;
  }

  /** Creates the relay key, starts the server and waits for its port. */
  void start() throws IOException, InterruptedException {
    run(List.of(binary, "init", "--data", dataDir.toString()));
    List<String> command = new ArrayList<>();
    Path setpriv = onPath("setpriv");
    if (setpriv != null) command.addAll(List.of(setpriv.toString(), "--pdeathsig", "TERM", "--"));
    // Any vault may register (the program's default admits only those it was told to).
    command.addAll(List.of(binary, "serve", "--data", dataDir.toString(), "--listen", "127.0.0.1:0",
        "--admission", "open"));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    process = builder.start();
    logReader = new Thread(() -> readLog(process.getErrorStream()), "parley-relay log");
    logReader.setDaemon(true);
    logReader.start();
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    synchronized (log) {
      while (true) {
        Matcher m = LISTENING.matcher(log);
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
          return;
        }
        long left = deadline - System.currentTimeMillis();
        if (logClosed || left <= 0) {
          throw new IllegalStateException("parley-relay did not start (no event=listening line"
              + (logClosed ? ", it closed its log" : " within 30 s") + "); its log:\n" + log);
        }
        log.wait(left);
      }
    }
  }

  int port() {
    return port;
  }

  /** The pairing code for 127.0.0.1:port, as {@code parley-relay info --json} prints it. */
  String pairingCode() throws IOException, InterruptedException {
    String out = run(List.of(binary, "info", "--data", dataDir.toString(), "--address",
        "127.0.0.1:" + port, "--json"));
    Matcher m = PAIRING_CODE.matcher(out);
    if (!m.find()) throw new IllegalStateException("parley-relay info printed no pairing_code: " + out);
    return m.group(1);
  }

  /** The relay's log so far. */
  String log() {
    synchronized (log) {
      return log.toString();
    }
  }

  /** Stops the relay (SIGTERM, SIGKILL after 10 s) and waits for it. Idempotent. */
  @Override
  public void close() {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException ignored) {
      // Shutting down already, or the hook was never added.
    }
  }

  private void kill() {
    Process p = process;
    if (p == null) return;
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
      }
      if (logReader != null) logReader.join(5_000);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private void readLog(InputStream in) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        synchronized (log) {
          log.append(line).append('\n');
          log.notifyAll();
        }
      }
    } catch (IOException ignored) {
      // The process ended; logClosed says so below.
    } finally {
      synchronized (log) {
        logClosed = true;
        log.notifyAll();
      }
    }
  }

  /** The executable `name` in a directory of $PATH, or null. */
  private static Path onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) return null;
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) return candidate;
    }
    return null;
  }

  /** Runs a short parley-relay command to its end; its standard output, or an exception. */
  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " did not finish within 30 s");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + text);
    }
    return text;
  }
}
