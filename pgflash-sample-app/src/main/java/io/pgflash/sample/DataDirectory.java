package io.pgflash.sample;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded server's data directory, made ready to start on. The server runs as a child process: when the sample is
 * killed ({@code kill -9}) it outlives it and keeps the directory, so the next start stops that leftover server. A
 * directory in use by a sample that still runs is refused instead, with the way out.
 */
final class DataDirectory {

    private static final Logger log = LoggerFactory.getLogger(DataDirectory.class);
    /** The lock file the embedded server's library holds while its owner runs. */
    private static final String OWNER_LOCK = "epg-lock";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Path directory;

    DataDirectory(Path directory) {
        this.directory = directory.toAbsolutePath();
    }

    void prepare() throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        if (ownerIsRunning()) {
            throw new IllegalStateException("Another running sample uses the embedded PostgreSQL in " + directory
                    + ": stop it, or give this one its own directory with --sample.embedded.data-dir=...");
        }
        leftoverServer().ifPresent(this::stop);
    }

    /** Whether a live JVM holds the owner lock (a killed one released it with its process). */
    private boolean ownerIsRunning() throws IOException {
        Path lockFile = directory.resolve(OWNER_LOCK);
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true; // held by this very JVM
        }
    }

    /** The postgres process named in {@code postmaster.pid}, if it is alive and runs on this directory. */
    private Optional<ProcessHandle> leftoverServer() throws IOException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) {
            return Optional.empty(); // PostgreSQL itself handles a stale pid file
        }
        return ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(process -> {
            ProcessHandle.Info info = process.info();
            return info.command().orElse("").endsWith("postgres")
                    && Arrays.asList(info.arguments().orElse(new String[0])).contains(directory.toString());
        });
    }

    private void stop(ProcessHandle server) {
        log.warn("A PostgreSQL server left by an earlier, killed run (pid {}) still holds {}: stopping it",
                server.pid(), directory);
        server.destroy(); // SIGTERM; its clients died with the killed sample, so it stops at once
        try {
            server.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while stopping the leftover server", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The leftover PostgreSQL server (pid " + server.pid() + ") on "
                    + directory + " did not stop within " + STOP_TIMEOUT + "; stop it and start again", e);
        }
    }
}
